"""Clean-room NAB scoring: sweep scores, one corpus threshold per profile, normalization.

Semantics follow NAB v1.x (sweeper + optimizer + runner.normalize):
- the first min(floor(0.15 n), 750) rows of a file are probationary and ignored;
- a row inside a window is worth tp * S(-(right - i + 1) / width) / S(-1), and a
  window scores the best (earliest) detected row, or -fn when nothing in it fires;
- a row outside windows costs fp * S(|i - prev_right| / (prev_width - 1)), or the
  full -fp when no window precedes it; S is the scaled sigmoid;
- detection means score >= threshold; the threshold is the corpus-wide score
  maximum over every distinct score (ties go to the higher threshold);
- normalized = 100 * (S - S_null) / (S_perfect - S_null), S_null being the null
  detector (a constant score), S_perfect = number of labelled windows * tp.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.lab.anomaly.nab.corpus import DataFile

PROBATION_PERCENT = 0.15
START_THRESHOLD = 1.1  # above any score: nothing is detected

PROFILES: dict[str, dict[str, float]] = {
    "standard": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.11, "tnWeight": 1.0},
    "reward_low_FP_rate": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.22, "tnWeight": 1.0},
    "reward_low_FN_rate": {"tpWeight": 1.0, "fnWeight": 2.0, "fpWeight": 0.11, "tnWeight": 1.0},
}


def scaled_sigmoid(x: np.ndarray | float) -> np.ndarray:
    """Return NAB's scaled sigmoid 2/(1+e^(5x)) - 1, clamped to -1 beyond x > 3."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):
        val = 2.0 / (1.0 + np.exp(5.0 * x)) - 1.0
    return np.where(x > 3.0, -1.0, val)


MAX_TP = float(scaled_sigmoid(-1.0))


def probation_length(n_rows: int, percent: float = PROBATION_PERCENT) -> float:
    """Return the number of leading rows NAB ignores."""
    return min(math.floor(percent * n_rows), percent * 5000)


@dataclass(frozen=True)
class RowWeights:
    """Per-row sweep weights of one file, before the threshold is applied."""

    weight: np.ndarray  # reward if this row were detected
    window: np.ndarray  # window number within the file, -1 outside windows
    scorable: np.ndarray  # False in the probationary period


def row_weights(n_rows: int, windows: list[tuple[int, int]], cost: dict[str, float]) -> RowWeights:
    """Compute every row's sweep score for a file with the given windows."""
    idx = np.arange(n_rows, dtype=np.float64)
    weight = np.full(n_rows, -1.0 * cost["fpWeight"])
    window = np.full(n_rows, -1, dtype=np.int64)
    for k, (lo, hi) in enumerate(windows):
        width = hi - lo + 1
        pos = -(hi - idx[lo : hi + 1] + 1) / width
        weight[lo : hi + 1] = scaled_sigmoid(pos) * cost["tpWeight"] / MAX_TP
        window[lo : hi + 1] = k
        end = windows[k + 1][0] if k + 1 < len(windows) else n_rows
        if end > hi + 1:
            after = idx[hi + 1 : end]
            if width > 1:
                rel = np.abs(hi - after) / (width - 1)
                weight[hi + 1 : end] = scaled_sigmoid(rel) * cost["fpWeight"]
            # A one-row window has no width to measure distance by: full FP cost.
    scorable = idx >= probation_length(n_rows)
    return RowWeights(weight, window, scorable)


@dataclass(frozen=True)
class Sweep:
    """Corpus score for every candidate threshold, highest threshold first."""

    thresholds: np.ndarray
    scores: np.ndarray

    def best(self) -> tuple[float, float]:
        """Return (threshold, score) maximizing the score; ties keep the higher threshold."""
        k = int(np.argmax(self.scores))
        return float(self.thresholds[k]), float(self.scores[k])


def sweep(anomaly: np.ndarray, weight: np.ndarray, window: np.ndarray, fn_weight: float) -> Sweep:
    """Score all thresholds at once for scorable rows (window ids unique corpus-wide)."""
    order = np.argsort(-anomaly, kind="stable")
    a, w, win = anomaly[order], weight[order], window[order]
    delta = np.where(win < 0, w, 0.0)
    inside = win >= 0
    if inside.any():
        frame = pd.DataFrame({"win": win[inside], "w": np.maximum(w[inside], -fn_weight)})
        best = frame.groupby("win")["w"].cummax()
        prev = best.groupby(frame["win"]).shift(1).fillna(-fn_weight)
        # A window's value is its best detected row, so only improvements count.
        delta[inside] = (best - prev).to_numpy()
    base = -fn_weight * len(np.unique(win[inside]))
    total = base + np.cumsum(delta)
    # A threshold equal to a score detects every row with that score: take group ends.
    last = np.r_[a[1:] != a[:-1], True] if len(a) else np.zeros(0, dtype=bool)
    thresholds = np.r_[START_THRESHOLD, a[last]]
    scores = np.r_[base, total[last]]
    return Sweep(thresholds, scores)


@dataclass(frozen=True)
class FileScore:
    """One file's score and confusion counts at a fixed threshold."""

    name: str
    score: float
    tp: int
    fp: int
    fn: int
    tn: int


def score_file(f: DataFile, anomaly: np.ndarray, rw: RowWeights, threshold: float, fn_weight: float) -> FileScore:
    """Score one file at a threshold, as NAB's per-file scoring step does."""
    live = rw.scorable
    det = live & (anomaly >= threshold)
    outside = rw.window < 0
    score = float(rw.weight[det & outside].sum())
    for k in np.unique(rw.window[live & ~outside]):
        hit = det & (rw.window == k)
        score += float(rw.weight[hit].max()) if hit.any() else -fn_weight
    tp = int((det & ~outside).sum())
    fp = int((det & outside).sum())
    fn = int((live & ~det & ~outside).sum())
    tn = int((live & ~det & outside).sum())
    return FileScore(f.name, score, tp, fp, fn, tn)
