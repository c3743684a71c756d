"""Hyperparameter choice by leave-one-category-out on the NAB subset, honest held-out score.

Run: .venv/bin/python tests/benchmarks/bench_nab_loco.py [NAB_DIR]
For each category, the variant AND the detection threshold are picked on the other
categories only, then that category is scored with them; the held-out raw scores are
summed and normalized like NAB's. The in-sample figure picks one variant on all files.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np


# This checkout's code, not whichever one the editable install points at (a worktree's run would measure main's).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.anomaly.detectors.record import RobustRecordDetector
from engine.anomaly.detectors.robust import RobustParams
from engine.lab.anomaly.nab.corpus import DataFile, load_corpus, load_labels
from engine.lab.anomaly.nab.evaluate import NULL_SCORE
from engine.lab.anomaly.nab.run import epoch_seconds
from engine.lab.anomaly.nab.scorer import PROFILES
from engine.lab.anomaly.nab.threshold import fit_threshold as best
from engine.lab.anomaly.nab.threshold import raw_at

BASE = RobustParams()
# Small, coarse grid over the knobs that matter; never per file.
GRID = {
    "default": BASE,
    "v1 (no range)": replace(BASE, range_c=0.0),
    "range_c 0.02": replace(BASE, range_c=0.02),
    "range_c 0.05": replace(BASE, range_c=0.05),
    "range_warm 150": replace(BASE, range_warm=150),
    "range_warm 500": replace(BASE, range_warm=500),
    "damp 0.9": replace(BASE, damp=0.9),
    "damp 0.5": replace(BASE, damp=0.5),
    "refractory 70": replace(BASE, refractory_halflife=70.0),
    "record 700": replace(BASE, record_halflife=700.0),
    "record 3000": replace(BASE, record_halflife=3000.0),
    "blocks 20": replace(BASE, blocks=20),
    "blocks 50": replace(BASE, blocks=50),
}


def run_variant(p: RobustParams, files: list[DataFile]) -> dict[str, np.ndarray]:
    """Score every file with fresh detectors of these params."""
    return {f.name: RobustRecordDetector(p).score_batch(epoch_seconds(f.timestamps), f.values) for f in files}


def main() -> None:
    """Print in-sample and leave-one-category-out scores per profile."""
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/nab")
    labels = root / "labels" / "combined_windows.json"
    files = load_corpus(root / "data", labels)
    n_windows = sum(len(v) for v in load_labels(labels).values())
    t0 = time.perf_counter()
    runs = {name: run_variant(p, files) for name, p in GRID.items()}
    print(f"{len(GRID)} variants scored in {time.perf_counter() - t0:.1f}s")
    cats = sorted({f.category for f in files})
    for profile, cost in PROFILES.items():
        nulls = {f.name: np.full(len(f.values), NULL_SCORE) for f in files}
        null_t, null = best(files, nulls, cost)
        perfect = n_windows * cost["tpWeight"]
        norm = lambda raw, null=null, perfect=perfect: 100 * (raw - null) / (perfect - null)
        insample = {name: norm(best(files, s, cost)[1]) for name, s in runs.items()}
        held = fixed = 0.0
        picks = []
        for c in cats:
            train = [f for f in files if f.category != c]
            test = [f for f in files if f.category == c]
            fits = {name: best(train, s, cost) for name, s in runs.items()}
            pick = max(fits, key=lambda k: fits[k][1])
            held += raw_at(test, runs[pick], cost, fits[pick][0])
            picks.append(f"{c}->{pick}")
            fixed += raw_at(test, runs["default"], cost, fits["default"][0])
        top = max(insample, key=insample.get)
        print(f"{profile}: default {insample['default']:.2f}, best in-sample {top} {insample[top]:.2f}, "
              f"held-out (variant+threshold chosen without the category) {norm(held):.2f}, "
              f"default with held-out threshold {norm(fixed):.2f}")
        print("   in-sample: " + ", ".join(f"{k} {v:.2f}" for k, v in insample.items()))
        print("   picks: " + ", ".join(picks))


if __name__ == "__main__":
    main()
