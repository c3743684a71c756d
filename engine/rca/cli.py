"""Command-line pieces for ``opsbot eval rca`` and ``opsbot simulate rca``.

The composition root (bot/main.py) owns the top-level parser and calls
``add_eval_rca(eval_subparsers)`` and ``add_simulate_rca(simulate_subparsers)``; each sets
``func`` to a callable ``(args) -> int``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path



def add_eval_rca(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``rca DIR [--delay SECONDS] [--no-graph] [--json] [--compare] [--first-answer]``."""
    p = subparsers.add_parser("rca", help="score the root-cause ranker on a folder of cases")
    p.add_argument("dir", type=Path, help="folder holding case folders (ours or RCAEval's)")
    p.add_argument("--delay", type=float, default=0.0, help="detect this many seconds after injection")
    p.add_argument("--no-graph", action="store_true",
                   help="ignore graph.json (simulate rca writes one): score the ranker as it runs without topology")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--compare", action="store_true", help="also score BARO side by side")
    p.add_argument("--first-answer", action="store_true",
                   help="score only the first line of root_cause.txt, as RCAEval does on synthetic cases")
    p.set_defaults(func=run_eval)
    return p


def add_simulate_rca(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``rca --nodes N --cases K --seed S [--edges E] [--graphs G] OUT``."""
    p = subparsers.add_parser("rca", help="write CIRCA-style simulated root-cause cases")
    p.add_argument("--nodes", type=int, required=True)
    p.add_argument("--cases", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--edges", type=int, default=None, help="edges per graph (default 2 x nodes)")
    p.add_argument("--graphs", type=int, default=None, help="random graphs the cases share (default 10, as CIRCA)")
    p.add_argument("out", type=Path)
    p.set_defaults(func=run_simulate)
    return p


def run_eval(args: argparse.Namespace) -> int:
    """Evaluate every case under ``args.dir`` and print the report."""
    # The ranker stack (numpy, scipy) loads when the command runs, not for --help.
    from engine.lab.rca.baselines import baro
    from engine.lab.rca.cases import find_cases, load_case
    from engine.lab.rca.evaluate import evaluate, format_report
    from engine.rca.ranker import rank_names

    folders = find_cases(args.dir)
    if not folders:
        print(f"no cases under {args.dir}", file=sys.stderr)
        return 2
    cases = [load_case(f) for f in folders]
    if args.no_graph:
        cases = [dataclasses.replace(c, graph=None) for c in cases]
    with_graph = sum(c.graph is not None for c in cases)
    rankers = {"opsbot": rank_names}
    if args.compare:
        rankers["baro"] = baro
    answers = "first" if args.first_answer else "all"
    report = evaluate(cases, rankers, delay=args.delay, answers=answers)
    if args.json:
        print(json.dumps({"delay": args.delay, "cases": len(cases), "cases_with_graph": with_graph,
                          "answers": answers, "rankers": report}, indent=2))
    else:
        # Say whether topology was used: with-graph and without-graph figures differ.
        print(f"graph: used in {with_graph} of {len(cases)} cases" + (" (--no-graph)" if args.no_graph else ""))
        print(format_report(report, args.delay))
    return 0


def run_simulate(args: argparse.Namespace) -> int:
    """Write the simulated cases and say where."""
    from engine.lab.rca.simulate import write_suite

    if args.nodes < 2 or args.cases < 1:
        print("need --nodes >= 2 and --cases >= 1", file=sys.stderr)
        return 2
    paths = write_suite(args.out, args.nodes, args.cases, args.seed, args.edges, args.graphs)
    print(f"wrote {len(paths)} cases of {args.nodes} nodes to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run ``eval rca`` / ``simulate rca`` standalone (``python -m engine.rca.cli``)."""
    parser = argparse.ArgumentParser(prog="opsbot")
    top = parser.add_subparsers(dest="command", required=True)
    add_eval_rca(top.add_parser("eval").add_subparsers(dest="what", required=True))
    add_simulate_rca(top.add_parser("simulate").add_subparsers(dest="what", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
