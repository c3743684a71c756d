"""NAB public subset: scorer check on the oracle, then our detectors, three profiles, timed.

Run: nice -n 10 .venv/bin/python tests/benchmarks/bench_nab.py [NAB_DIR]

Per detector and profile it prints three figures: at the production threshold (the watches'
default, what runs), leave-one-category-out (each category scored at the threshold fitted on
the others) and fitted (NAB's leaderboard way: optimized on the scored files' own labels, an
optimistic figure).  A seeded uniform-random detector, scored the same three ways, is the
trivial baseline beside them (the null detector is 0 by construction).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from engine.lab.anomaly.nab.corpus import load_corpus, load_labels, load_scores
from engine.lab.anomaly.nab.evaluate import score_corpus
from engine.lab.anomaly.nab.run import detect_corpus
from engine.lab.anomaly.nab.threshold import loco, production_threshold
from engine.anomaly.watches.config import DEFAULT_THRESHOLD

PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")
SHORT = {"standard": "std", "reward_low_FP_rate": "lowFP", "reward_low_FN_rate": "lowFN"}


def _three_ways(files, scores, windows) -> str:
    """Return 'profile production/LOCO/fitted' cells for every profile."""
    fixed = score_corpus(files, scores, label_windows=windows, thresholds={p: DEFAULT_THRESHOLD for p in PROFILES})
    fitted = score_corpus(files, scores, label_windows=windows)
    cells = []
    for p in PROFILES:
        held = loco(files, scores, p, windows).normalized
        cells.append(f"{SHORT[p]} {fixed[p].normalized:6.2f} / {held:6.2f} / {fitted[p].normalized:6.2f}")
    return "  ".join(cells)


def main() -> None:
    """Print oracle reproduction and detector scores on the NAB subset."""
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/nab")
    labels = root / "labels" / "combined_windows.json"
    files = load_corpus(root / "data", labels)
    windows = sum(len(v) for v in load_labels(labels).values())
    expected = json.loads((root / "expected_scores.json").read_text())
    print(f"{len(files)} files, {sum(len(f.values) for f in files)} rows, {windows} windows")
    print("scorer on oracle rows, fitted threshold (ours / published):")
    for name in sorted(p.name for p in (root / "oracle").iterdir()):
        t0 = time.perf_counter()
        _, scores = load_scores(root / "oracle" / name, files)
        res = score_corpus(files, scores, label_windows=windows)
        cells = "  ".join(f"{p} {res[p].normalized:6.2f}/{expected[name][p]:6.2f}" for p in PROFILES)
        print(f"  {name:<17} {cells}  ({time.perf_counter() - t0:.2f}s)")
    print(f"detectors: production threshold {DEFAULT_THRESHOLD} / leave-one-category-out / fitted on these labels")
    rng = np.random.default_rng(0)
    random_scores = {f.name: rng.random(len(f.values)) for f in files}
    print(f"  {'random (seed 0)':<17} {_three_ways(files, random_scores, windows)}")
    for det in ("robust", "robust-v1", "robust-plain"):
        t0 = time.perf_counter()
        scores = detect_corpus(det, files)
        t1 = time.perf_counter()
        print(f"  {det:<17} {_three_ways(files, scores, windows)}  (detect {t1 - t0:.1f}s, "
              f"score {time.perf_counter() - t1:.1f}s)")
        fixed = score_corpus(files, scores, label_windows=windows, thresholds={"standard": DEFAULT_THRESHOLD})
        cats = fixed["standard"].categories
        print("    standard at the production threshold by category: "
              + ", ".join(f"{c} {v['normalized']:.1f}" for c, v in cats.items()))
        if det == "robust":
            folds = loco(files, scores, "standard", windows).folds
            print("    LOCO standard fold thresholds: " + ", ".join(f"{f.category} {f.threshold:.4f}" for f in folds)
                  + f"; procedure gives {production_threshold(files, scores):.2f}")
    refs = ("randomCutForest", "twitterADVec", "knncad", "numenta", "ARTime")
    print("published on this subset (standard, fitted): " + ", ".join(f"{r} {expected[r]['standard']}" for r in refs))


if __name__ == "__main__":
    main()
