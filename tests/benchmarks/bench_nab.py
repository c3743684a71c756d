"""NAB public subset: scorer check on the oracle, then our detectors, three profiles, timed.

Run: .venv/bin/python tests/benchmarks/bench_nab.py [NAB_DIR]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from engine.anomaly.nab.corpus import load_corpus, load_labels, load_scores
from engine.anomaly.nab.evaluate import score_corpus
from engine.anomaly.nab.run import detect_corpus

PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")


def main() -> None:
    """Print oracle reproduction and detector scores on the NAB subset."""
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/nab")
    labels = root / "labels" / "combined_windows.json"
    files = load_corpus(root / "data", labels)
    windows = sum(len(v) for v in load_labels(labels).values())
    expected = json.loads((root / "expected_scores.json").read_text())
    print(f"{len(files)} files, {sum(len(f.values) for f in files)} rows, {windows} windows")
    print("scorer on oracle rows (ours / published):")
    for name in sorted(p.name for p in (root / "oracle").iterdir()):
        t0 = time.perf_counter()
        _, scores = load_scores(root / "oracle" / name, files)
        res = score_corpus(files, scores, label_windows=windows)
        cells = "  ".join(f"{p} {res[p].normalized:6.2f}/{expected[name][p]:6.2f}" for p in PROFILES)
        print(f"  {name:<17} {cells}  ({time.perf_counter() - t0:.2f}s)")
    print("detectors (2 processes):")
    for det in ("robust", "robust-v1", "robust-plain"):
        t0 = time.perf_counter()
        scores = detect_corpus(det, files)
        t1 = time.perf_counter()
        res = score_corpus(files, scores, label_windows=windows)
        t2 = time.perf_counter()
        cells = "  ".join(f"{p} {res[p].normalized:6.2f}" for p in PROFILES)
        print(f"  {det:<17} {cells}  (detect {t1 - t0:.1f}s, score {t2 - t1:.1f}s)")
        cats = res["standard"].categories
        print("    standard by category: " + ", ".join(f"{c} {v['normalized']:.1f}" for c, v in cats.items()))
    refs = ("randomCutForest", "twitterADVec", "knncad", "numenta", "ARTime")
    print("published on this subset (standard): " + ", ".join(f"{r} {expected[r]['standard']}" for r in refs))


if __name__ == "__main__":
    main()
