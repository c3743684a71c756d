"""Post-detection rules on the default detector's NAB scores, chosen leave-one-category-out.

Run: nice -n 10 .venv/bin/python tests/benchmarks/bench_nab_postproc.py [NAB_DIR]

Each rule rewrites the default detector's scores of a file causally (row t uses rows up to t only):
- refractory R, beat b, factor f: after an emitted score >= ALARM (the production threshold),
  the next R rows are multiplied by f unless they beat that alarm's score by b (one alarm per
  incident, as contextOSE's rest period and ARTime's mask after an anomaly do);
- rank a: the score divided by 1 + 1000 a q, q the fraction of the series' own past scores
  at or above it (per-series calibration: a series that often scores this high is damped).
Per rule it prints LOCO standard / low FP / low FN (threshold fitted on the other
categories) and the standard / low FP LOCO score of each held-out category. Then the nested
figure: for each category the rule AND the threshold are picked on the other categories
only; that, not the best row, is the honest estimate of adding a rule.
NAB's probation (no alarms in a file's first 15%) needs no rule: the scorer ignores those
rows, and a streaming detector cannot know 15% of a length it has not seen.
"""

from __future__ import annotations

import bisect
import sys
from pathlib import Path

import numpy as np


# This checkout's code, not whichever one the editable install points at (a worktree's run would measure main's).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.anomaly.registry import DEFAULT_DETECTOR
from engine.anomaly.watches.config import DEFAULT_THRESHOLD as ALARM
from engine.lab.anomaly.nab.corpus import DataFile, load_corpus, load_labels
from engine.lab.anomaly.nab.run import detect_corpus
from engine.lab.anomaly.nab.scorer import PROFILES as COSTS
from engine.lab.anomaly.nab.threshold import fit_threshold, loco, null_and_perfect, raw_at

Scores = dict[str, np.ndarray]
PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")


def refractory(s: np.ndarray, rows: int, beat: float, factor: float) -> np.ndarray:
    """Damp scores within `rows` after an alarm unless they beat its score by `beat`."""
    out = s.copy()
    last, peak = -(10**9), 0.0
    for i in np.flatnonzero(s >= ALARM):
        if i - last <= rows and s[i] <= beat * peak:
            out[i] = factor * s[i]
        else:
            last, peak = int(i), float(s[i])
    return out


def rank_shrink(s: np.ndarray, a: float) -> np.ndarray:
    """Divide each score by 1 + 1000 a q, q the share of earlier scores at or above it."""
    past: list[float] = []
    out = np.empty_like(s)
    for i, v in enumerate(s.tolist()):
        q = (len(past) - bisect.bisect_left(past, v)) / max(1, len(past))
        out[i] = v / (1.0 + 1000.0 * a * q)
        bisect.insort(past, v)
    return out


def _by_category(files: list[DataFile], scores: Scores, profile: str) -> dict[str, float]:
    """Return each held-out category's LOCO score normalized on its own files (raw if it has no windows)."""
    cost, out = COSTS[profile], {}
    for fold in loco(files, scores, profile).folds:
        null, perfect = null_and_perfect([f for f in files if f.category == fold.category], cost)
        out[fold.category] = 100 * (fold.raw - null) / (perfect - null) if perfect != null else fold.raw
    return out


def nested(files: list[DataFile], variants: dict[str, Scores], profile: str, windows: int) -> tuple[float, list[str]]:
    """Pick the rule and threshold without each category, score it; return the normalized sum and picks."""
    cost, held, picks = COSTS[profile], 0.0, []
    for c in sorted({f.category for f in files}):
        train = [f for f in files if f.category != c]
        fits = {k: fit_threshold(train, s, cost) for k, s in variants.items()}
        k = max(fits, key=lambda k: fits[k][1])
        held += raw_at([f for f in files if f.category == c], variants[k], cost, fits[k][0])
        picks.append(f"{c}->{k}")
    null, perfect = null_and_perfect(files, cost, windows)
    return 100 * (held - null) / (perfect - null), picks


def main() -> None:
    """Print every rule's LOCO figures and the nested choice."""
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/nab")
    labels = root / "labels" / "combined_windows.json"
    files = load_corpus(root / "data", labels)
    windows = sum(len(v) for v in load_labels(labels).values())
    base = detect_corpus(DEFAULT_DETECTOR, files)
    families: dict[str, dict[str, Scores]] = {"refractory": {}, "rank": {}}
    for rows in (30, 50, 100, 150, 200, 300, 800):
        for beat in (1.05, 1.1, 1.2, np.inf):
            for factor in (0.5, 0.8):
                name = f"refractory R{rows} b{beat} f{factor}"
                families["refractory"][name] = {k: refractory(s, rows, beat, factor) for k, s in base.items()}
    for a in (0.03, 0.1, 0.3, 1.0):
        families["rank"][f"rank a{a}"] = {k: rank_shrink(s, a) for k, s in base.items()}
    print(f"{DEFAULT_DETECTOR} scores, rules triggered at {ALARM}; LOCO std / lowFP / lowFN; per category std/lowFP")
    for name, scores in {f"none ({DEFAULT_DETECTOR})": base, **families["refractory"], **families["rank"]}.items():
        figs = " / ".join(f"{loco(files, scores, p, windows).normalized:6.2f}" for p in PROFILES)
        std, low = _by_category(files, scores, "standard"), _by_category(files, scores, "reward_low_FP_rate")
        print(f"  {name:<34} {figs}  | " + ", ".join(f"{c} {std[c]:.1f}/{low[c]:.1f}" for c in std))
    for family, variants in families.items():
        for p in PROFILES:
            score, picks = nested(files, {"none": base, **variants}, p, windows)
            print(f"nested {family} {p}: {score:.2f}  ({'; '.join(picks)})")


if __name__ == "__main__":
    main()
