"""`opsbot eval nab`: score a detector (or precomputed scores) on a NAB-format corpus."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from engine.anomaly import registry


def add_eval_nab(eval_subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `nab` subcommand to an `eval` subparser group."""
    p = eval_subparsers.add_parser("nab", help="score anomaly detection on a NAB-format corpus")
    p.add_argument("--data", required=True, type=Path, help="corpus data dir (<category>/<file>.csv)")
    p.add_argument("--labels", required=True, type=Path, help="combined_windows.json")
    p.add_argument("--detector", default=registry.DEFAULT_DETECTOR, choices=registry.names())
    p.add_argument("--scores", type=Path, help="score precomputed NAB results (<detector>/<category>/...) instead")
    p.add_argument("--json", action="store_true", help="print JSON with per-category breakdown")
    p.set_defaults(func=run_eval_nab)
    return p


def run_eval_nab(args: argparse.Namespace) -> int:
    """Run the evaluation and print normalized scores; return the exit code."""
    # The NAB stack (pandas, numpy) loads when the command runs, not for --help.
    from engine.anomaly.nab.corpus import load_corpus, load_labels, load_scores
    from engine.anomaly.nab.evaluate import score_corpus
    from engine.anomaly.nab.run import detect_corpus

    started = time.perf_counter()
    files = load_corpus(args.data, args.labels)
    if not files:
        print(f"no labelled data files found under {args.data}", file=sys.stderr)
        return 2
    label_windows = sum(len(w) for w in load_labels(args.labels).values())
    if args.scores:
        detector, scores = load_scores(args.scores, files)
    else:
        detector, scores = args.detector, detect_corpus(args.detector, files)
    results = score_corpus(files, scores, label_windows=label_windows)
    elapsed = time.perf_counter() - started
    if args.json:
        payload = {
            "detector": detector,
            "files": len(files),
            "seconds": round(elapsed, 2),
            "profiles": {
                name: {k: v for k, v in r.to_dict().items() if k != "files"} for name, r in results.items()
            },
        }
        print(json.dumps(payload, indent=2))
        return 0
    print(f"NAB scores for {detector} on {len(files)} files ({elapsed:.1f}s)")
    for name, r in results.items():
        print(f"  {name:<20} {r.normalized:6.2f}   (threshold {r.threshold:.4f}, raw {r.raw:.2f})")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Standalone entry point: `python -m engine.anomaly.cli nab ...`."""
    parser = argparse.ArgumentParser(prog="opsbot eval")
    add_eval_nab(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
