"""Optimize the corpus threshold per profile and normalize against null and perfect."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field

import numpy as np

from engine.lab.anomaly.nab.corpus import DataFile
from engine.lab.anomaly.nab.scorer import PROFILES, RowWeights, Sweep, row_weights, score_file, sweep

NULL_SCORE = 0.5  # NAB's null detector emits one constant score for every row


@dataclass
class ProfileResult:
    """Outcome of one profile: threshold, raw and normalized scores, breakdown."""

    profile: str
    threshold: float
    raw: float
    null: float
    perfect: float
    normalized: float
    categories: dict[str, dict[str, float]] = field(default_factory=dict)
    files: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Return a JSON-ready dict."""
        return asdict(self)


def corpus_sweep(files: list[DataFile], scores: dict[str, np.ndarray], weights: list[RowWeights], fn_weight: float) -> Sweep:
    """Sweep every threshold over the scorable rows of the whole corpus."""
    anomaly, weight, window = [], [], []
    offset = 0
    for f, rw in zip(files, weights):
        live = rw.scorable
        anomaly.append(np.asarray(scores[f.name], dtype=np.float64)[live])
        weight.append(rw.weight[live])
        # Window ids must be unique across files, as NAB names them "<file>|<start>".
        window.append(np.where(rw.window[live] >= 0, rw.window[live] + offset, -1))
        offset += len(f.windows)
    return sweep(np.concatenate(anomaly), np.concatenate(weight), np.concatenate(window), fn_weight)


def _normalize(raw: float, null: float, perfect: float) -> float:
    """Return 100 * (raw - null) / (perfect - null), or 0 when undefined."""
    return 100.0 * (raw - null) / (perfect - null) if perfect != null else 0.0


def score_profile(
    files: list[DataFile],
    scores: dict[str, np.ndarray],
    profile: str,
    cost: dict[str, float],
    label_windows: int | None = None,
    threshold: float | None = None,
) -> ProfileResult:
    """Score a corpus under a profile at `threshold`, or at the threshold optimized on its own labels."""
    fn_weight = cost["fnWeight"]
    weights = [row_weights(len(f.values), f.windows, cost) for f in files]
    if threshold is None:
        threshold, raw = corpus_sweep(files, scores, weights, fn_weight).best()
    else:
        raw = sum(score_file(f, scores[f.name], rw, threshold, fn_weight).score for f, rw in zip(files, weights))
    nulls = {f.name: np.full(len(f.values), NULL_SCORE) for f in files}
    null_threshold, null = corpus_sweep(files, nulls, weights, fn_weight).best()
    n_windows = label_windows if label_windows is not None else sum(len(f.windows) for f in files)
    perfect = n_windows * cost["tpWeight"]
    per_cat: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    per_file: dict[str, dict[str, float]] = {}
    for f, rw in zip(files, weights):
        fs = score_file(f, scores[f.name], rw, threshold, fn_weight)
        fnull = score_file(f, nulls[f.name], rw, null_threshold, fn_weight)
        per_file[f.name] = {"score": fs.score, "tp": fs.tp, "fp": fs.fp, "fn": fs.fn, "tn": fs.tn}
        cat = per_cat[f.category]
        cat["raw"] += fs.score
        cat["null"] += fnull.score
        cat["perfect"] += len(f.windows) * cost["tpWeight"]
        cat["fp_rows"] += fs.fp
    categories = {}
    for name, c in sorted(per_cat.items()):
        categories[name] = {**c, "normalized": _normalize(c["raw"], c["null"], c["perfect"])}
    return ProfileResult(profile, threshold, raw, null, perfect, _normalize(raw, null, perfect), categories, per_file)


def score_corpus(
    files: list[DataFile],
    scores: dict[str, np.ndarray],
    profiles: dict[str, dict[str, float]] | None = None,
    label_windows: int | None = None,
    thresholds: dict[str, float] | None = None,
) -> dict[str, ProfileResult]:
    """Score per-row scores under every profile, at `thresholds` per profile or fitted ones."""
    profiles = profiles or PROFILES
    thresholds = thresholds or {}
    return {name: score_profile(files, scores, name, cost, label_windows, thresholds.get(name))
            for name, cost in profiles.items()}
