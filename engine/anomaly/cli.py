"""`opsbot eval nab`: score a detector (or precomputed scores) on a NAB-format corpus.

By default the corpus is scored at the production threshold (the watches' default), as a
user runs it; the threshold NAB's optimizer fits on the scored files' own labels is printed
beside it, labelled as fitted. `--threshold T` scores another fixed threshold, `--fit-on DIR`
fits per profile on another corpus and scores this one, `--loco` adds the leave-one-category-out
figures and the threshold the production procedure (engine/lab/anomaly/nab/threshold.py) gives.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.anomaly import registry

if TYPE_CHECKING:
    import numpy as np

    from engine.lab.anomaly.nab.corpus import DataFile


def add_eval_nab(eval_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add the `nab` subcommand to an `eval` subparser group."""
    p = eval_subparsers.add_parser("nab", help="score anomaly detection on a NAB-format corpus")
    p.add_argument("--data", required=True, type=Path, help="corpus data dir (<category>/<file>.csv)")
    p.add_argument("--labels", required=True, type=Path, help="combined_windows.json")
    p.add_argument("--detector", default=registry.DEFAULT_DETECTOR, choices=registry.names())
    p.add_argument("--scores", type=Path, help="score precomputed NAB results (<detector>/<category>/...) instead")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--threshold", type=float, default=None,
                     help="score this fixed threshold (default: the production threshold, watches' default)")
    how.add_argument("--fit-on", type=Path, default=None,
                     help="fit the threshold per profile on this corpus data dir, then score --data at it")
    p.add_argument("--fit-labels", type=Path, default=None, help="labels of --fit-on (default: --labels)")
    p.add_argument("--loco", action="store_true",
                   help="also print leave-one-category-out scores and the production-procedure threshold")
    p.add_argument("--json", action="store_true", help="print JSON with per-category breakdown")
    p.set_defaults(func=run_eval_nab)
    return p


def _scores(args: argparse.Namespace, files: list[DataFile]) -> tuple[str, dict[str, np.ndarray]]:
    from engine.lab.anomaly.nab.corpus import load_scores
    from engine.lab.anomaly.nab.run import detect_corpus

    if args.scores:
        return load_scores(args.scores, files)
    return args.detector, detect_corpus(args.detector, files)


def _thresholds(args: argparse.Namespace) -> tuple[dict[str, float], str]:
    """Return the threshold per profile to score at, and where it came from."""
    from engine.lab.anomaly.nab.corpus import load_corpus
    from engine.lab.anomaly.nab.scorer import PROFILES
    from engine.lab.anomaly.nab.threshold import fit_threshold
    from engine.anomaly.watches.config import production_threshold

    if args.fit_on is not None:
        fit_files = load_corpus(args.fit_on, args.fit_labels or args.labels)
        if not fit_files:
            raise ValueError(f"no labelled data files found under {args.fit_on}")
        _, fit_scores = _scores(args, fit_files)
        fitted = {name: fit_threshold(fit_files, fit_scores, cost)[0] for name, cost in PROFILES.items()}
        return fitted, f"fitted on {args.fit_on} ({len(fit_files)} files)"
    if args.threshold is not None:
        return {name: args.threshold for name in PROFILES}, "fixed (--threshold)"
    detector = args.detector or registry.DEFAULT_DETECTOR
    return ({name: production_threshold(detector) for name in PROFILES},
            f"production for {detector} (engine/anomaly/watches/config.py)")


def run_eval_nab(args: argparse.Namespace) -> int:
    """Run the evaluation and print normalized scores; return the exit code."""
    # The NAB stack (pandas, numpy) loads when the command runs, not for --help.
    from engine.lab.anomaly.nab.corpus import load_corpus, load_labels
    from engine.lab.anomaly.nab.evaluate import score_corpus
    from engine.lab.anomaly.nab.scorer import PROFILES
    from engine.lab.anomaly.nab.threshold import loco, production_threshold
    from engine.anomaly.watches.config import production_threshold as config_threshold

    started = time.perf_counter()
    files = load_corpus(args.data, args.labels)
    if not files:
        print(f"no labelled data files found under {args.data}", file=sys.stderr)
        return 2
    label_windows = sum(len(w) for w in load_labels(args.labels).values())
    detector, scores = _scores(args, files)
    try:
        thresholds, source = _thresholds(args)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    results = score_corpus(files, scores, label_windows=label_windows, thresholds=thresholds)
    fitted = score_corpus(files, scores, label_windows=label_windows)
    loco_results = {name: loco(files, scores, name, label_windows) for name in PROFILES} if args.loco else {}
    elapsed = time.perf_counter() - started
    if args.json:
        profiles: dict[str, dict[str, Any]] = {}
        payload: dict[str, Any] = {"detector": detector, "files": len(files), "seconds": round(elapsed, 2),
                                   "threshold_source": source, "profiles": profiles}
        for name, r in results.items():
            row = {k: v for k, v in r.to_dict().items() if k != "files"}
            row["fitted_on_scored_labels"] = {"threshold": fitted[name].threshold, "normalized": fitted[name].normalized}
            if name in loco_results:
                lr = loco_results[name]
                row["loco"] = {"normalized": lr.normalized,
                               "folds": {f.category: f.threshold for f in lr.folds}}
            profiles[name] = row
        if args.loco:
            payload["production_procedure_threshold"] = production_threshold(files, scores)
        print(json.dumps(payload, indent=2))
        return 0
    print(f"NAB scores for {detector} on {len(files)} files ({elapsed:.1f}s); threshold: {source}")
    if args.scores and args.threshold is None and args.fit_on is None:
        print(f"  (the production threshold belongs to the {registry.DEFAULT_DETECTOR} detector; "
              "use --threshold or --fit-on for another detector's scores)")
    header = f"  {'profile':<20} {'score':>6}  {'thresh':>6}   | {'fitted on the scored labels (optimistic)':<42}"
    print((header + "| leave-one-category-out" * args.loco).rstrip())
    for name, r in results.items():
        f = fitted[name]
        line = f"  {name:<20} {r.normalized:6.2f}  {r.threshold:6.4f}   | {f'{f.normalized:6.2f} at {f.threshold:.4f}':<42}"
        if name in loco_results:
            line += f"| {loco_results[name].normalized:6.2f}"
        print(line.rstrip())
    if args.loco:
        folds = loco_results["standard"].folds
        print("  LOCO standard fold thresholds: " + ", ".join(f"{f.category} {f.threshold:.4f}" for f in folds))
        print(f"  production procedure (median fold threshold, 2 decimals): {production_threshold(files, scores):.2f}"
              f"; config default for {detector} {config_threshold(detector)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Standalone entry point: `python -m engine.anomaly.cli nab ...`."""
    parser = argparse.ArgumentParser(prog="opsbot eval")
    add_eval_nab(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
