"""Benchmark: root-cause ranking on simulated cases, ours vs BARO vs random, and ranking time.

Run: .venv/bin/python tests/benchmarks/bench_rca.py [--cases 100] [--seed10 101] [--seed50 202] [--alt SEED]
     [--alt-links nonlinear|linear|both] [--nodes 10 50] [--quick] [--heldout SEED] [--faults SEED]

Design seeds are 101 / 202; held-out seeds (never used to choose anything) are, e.g.,
``--seed10 9101 --seed50 9202``.  ``--alt SEED`` adds 60 cases of the second generator
(``simulate_alt``: three metrics per service, non-linear links, sustained faults);
``--alt-links linear`` runs its linear-link, Gaussian-noise variant instead (``both``: both).
``--nodes 10`` runs one CIRCA-style size only; ``--quick`` scores ``opsbot-nograph`` alone at
delays 0 and 60 s (no baselines, no first-answer or per-cause split), for a loaded machine.
``--heldout SEED`` scores only the held-out call-graph style (``simulate_calls``: typed faults,
retries that amplify latency up the callers, CPU faults that show as latency), 80 cases of 10
services and 40 of 20, with AC@1 per fault type; the rules were chosen on ``simulate_faults``,
though seeds 7773 and 7774 of this style were also looked at during development (see below).
``--faults SEED`` scores the tuning style written for the service rules (``simulate_faults``: same
fault types, its own call graphs, queueing, timeouts and noise) the same way.  BARO, NSigma and random stand beside
every figure.  Held out (seed 7773), scored after the service rules and again after the
late-resource gate: service AC@1 at 10 services 0.64 -> 0.62 (BARO 0.46), cpu 0.70 -> 0.60,
mem 0.45 -> 0.50, latency 0.50, errors 0.90; at 20 services 0.50 -> 0.60; below the 0.8 target
for latency and CPU (see docs/benchmarks.md).  Seeds 7773 and 7774 have since been used for
development (issue #21) and are no longer held out; seeds 8801-8803 were scored once after it
(0.600 / 0.688 / 0.700 at 10 services), 9901-9903 once after the daily-wave deviations
(0.812 / 0.787 / 0.875), 9904 / 9905 once after the still-signal change, and 9906 / 9907 once
after the per-type heavy tails and the timeouts leader (0.887 / 0.850; issue #21 part 3, which
used 7773, 7774, 8801-8803 and 9901-9905 for design), and 6121 / 6122 once after its second round
(CIRCA-style 6113 / 6157 likewise; dev seeds 4401, 4402, 4411).  Pick fresh seeds for the next held-out check.
Round 3 of issue #21 part 3 fixed its held-out seeds before any tuning, to be scored once at its end:
CIRCA-style 5519 (10 nodes) and 5563 (50 nodes) (``opsbot simulate rca`` + ``opsbot eval rca DIR --no-graph
--compare [--delay 60]``, and ``--quick --seed10 5519 --seed50 5563``); ``simulate_calls`` 5527 and 5541
(``--heldout``).  Its dev seeds: CIRCA 5701 (10 nodes) beside 101, 4401, 6113; ``simulate_calls`` 5711
beside 6121, 6122, 4411; all scored once at its end and now spent.  Pick fresh seeds again.
Round 4 held out CIRCA-style 3187 / 3229 and ``simulate_calls`` 3271 / 3313 (dev: CIRCA 7433 / 7477 / 7519,
``simulate_calls`` 7561 / 7603); all spent now.
Round 5 held out CIRCA-style 8641 / 8693 and ``simulate_calls`` 8737 / 8779 (dev: CIRCA 9011 / 9043 / 9067,
``simulate_calls`` 9091 / 9127); all spent now.
Round 6 held out CIRCA-style 2503 / 2551 and ``simulate_calls`` 2417 / 2459 (dev: ``simulate_calls`` 2609 / 2647,
``simulate_faults`` 2687); all spent now.

Writes 100 CIRCA-style cases each of 10 and 50 nodes (10 graphs of 10 cases, as CIRCA)
to a temporary folder, reads them back through the same loader as ``opsbot eval rca``,
and scores at detection delays of 0, 60 and 180 seconds.  The simulator samples once a
minute, so 60 s is one step late and 180 s puts the whole 2-point fault before
detection (RCAEval's published t_delta = 60 on CIRCA data counts rows, not seconds; see
engine/lab/rca/simulate.py).  ``opsbot-nograph`` (graph.json withheld) comes first: the
evaluation cases ship no graph.  ``opsbot-graph`` reads graph.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# This checkout's engine, not the editable install's (which points at the main checkout): run from a
# worktree, the bench otherwise scores main's code.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.lab.rca.simulate_alt import simulate_alt
from engine.lab.rca.simulate_calls import simulate_calls
from engine.lab.rca.simulate_faults import simulate_faults

from engine.lab.rca.baselines import baro, nsigma, random_ranking
from engine.lab.rca.cases import Case, find_cases, load_case
from engine.lab.rca.evaluate import evaluate
from engine.rca.ranker import RankerConfig, rank, rank_names
from engine.lab.rca.simulate import START_TIME, STEP_SECONDS, write_suite
from engine.rca.types import Series, split_name

DELAYS = (0.0, 60.0, 180.0)


def _nograph(inp):
    return rank_names(dataclasses.replace(inp, graph=None))


def _noexplain(inp):
    return rank_names(dataclasses.replace(inp, graph=None), RankerConfig(explain_away=False))


def _alt_suite(services: int, cases: int, seed: int, links: str = "nonlinear") -> list[Case]:
    """Second-generator cases as in-memory ``Case`` objects (no graph: it is not a CIRCA DAG)."""
    out = []
    for sim in simulate_alt(services, cases, seed, links=links):
        names = sim.column_names()
        times = START_TIME + STEP_SECONDS * np.arange(sim.data.shape[0])
        series = {n: Series(times.astype(float), sim.data[:, i].astype(float)) for i, n in enumerate(names)}
        out.append(Case(f"alt{len(out):03d}", Path("."), float(START_TIME + STEP_SECONDS * sim.length_normal),
                        series, tuple(names[c] for c in sim.causes), None))
    return out


def _by_causes(cases, rankers, delay: float) -> str:
    """Return Avg@5 per number of true causes (1, 2, 3+) for each ranker, on one line."""
    parts = []
    for label, test in (("1", lambda n: n == 1), ("2", lambda n: n == 2), ("3+", lambda n: n >= 3)):
        subset = [c for c in cases if test(len(c.root_causes))]
        if subset:
            rep = evaluate(subset, rankers, delay=delay)
            parts.append(f"{label} cause(s), {len(subset)} cases: "
                         + " ".join(f"{k} {v['service']['Avg@5']:.3f}" for k, v in rep.items()))
    return "; ".join(parts)


def _fault_type(case: Case) -> str:
    """Return the metric of the case's root causes, or "mixed" when they differ."""
    kinds = {split_name(c)[1] for c in case.root_causes}
    return kinds.pop() if len(kinds) == 1 else "mixed"


def _by_fault(cases, rankers, delay: float) -> str:
    """Return service-level AC@1 per fault type (the root cause's metric) for each ranker."""
    parts = []
    for kind in sorted({_fault_type(c) for c in cases}):
        subset = [c for c in cases if _fault_type(c) == kind]
        rep = evaluate(subset, rankers, delay=delay)
        parts.append(f"{kind} ({len(subset)}): " + " ".join(f"{k} {v['service']['AC@1']:.2f}" for k, v in rep.items())
                     + f" rand {next(iter(rep.values()))['service']['random_AC@1']:.2f}")
    return "; ".join(parts)


def _calls_suite(services: int, cases: int, seed: int, style=simulate_calls) -> list[Case]:
    """Call-graph cases (held-out ``simulate_calls`` or tuning ``simulate_faults``) as ``Case`` objects, no graph."""
    out = []
    for k, sim in enumerate(style(services, cases, seed)):
        times = (START_TIME + STEP_SECONDS * np.arange(sim.data.shape[0])).astype(float)
        series = {n: Series(times, sim.data[:, i].astype(float)) for i, n in enumerate(sim.names)}
        out.append(Case(f"calls{k:03d}", Path("."), float(times[sim.inject_row]), series, (sim.answer,), None))
    return out


def _heldout(seed: int, rankers, style=simulate_calls, title: str = "HELD-OUT simulate_calls") -> None:
    """Score a call-graph style: service level, per fault type, beside BARO, NSigma and random."""
    for services, count in ((10, 80), (20, 40)):
        cases = _calls_suite(services, count, seed, style)
        print(f"\n== {title}, {services} services x 4 metrics, {len(cases)} cases, seed {seed}"
              " (service level, no graph) ==")
        for delay in (0.0, 60.0):
            report = evaluate(cases, rankers, delay=delay)
            for label, levels in report.items():
                m = levels["service"]
                print(f"{delay:>6.0f} {label:<15} AC@1 {m['AC@1']:.3f} AC@3 {m['AC@3']:.3f} Avg@5 {m['Avg@5']:.3f}"
                      f"   random Avg@5 {m['random_Avg@5']:.3f}")
            print(f"{'':>6} AC@1 by fault type: {_by_fault(cases, rankers, delay)}", flush=True)


def _suite(root: Path, nodes: int, cases: int, seed: int):
    write_suite(root / f"sim{nodes}", nodes, cases, seed)
    return [load_case(p) for p in find_cases(root / f"sim{nodes}")]


def _load() -> str:
    """Return the 1, 5 and 15 minute load averages: wall times on a shared machine mean little without them."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _timing(case, repeats: int = 30) -> tuple[float, float, float]:
    """Return median and p99 wall seconds and median process CPU seconds of one full ``rank`` call.

    The machine may be shared: CPU time is what the ranking costs, wall time includes waiting for a core.
    """
    inp = dataclasses.replace(case.input(60.0), graph=None)  # the graph-free path is the slower one
    rank(inp)  # warm caches
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        rank(inp)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return float(np.median(times)), float(np.percentile(times, 99)), float(np.median(cpu))


def main() -> None:
    """Print Avg@5 / AC@1 / AC@3 tables and ranking time."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100)
    ap.add_argument("--seed10", type=int, default=101)
    ap.add_argument("--seed50", type=int, default=202)
    ap.add_argument("--alt", type=int, default=None, help="seed of a simulate_alt suite (10 services)")
    ap.add_argument("--alt-links", choices=("nonlinear", "linear", "both"), default="nonlinear")
    ap.add_argument("--nodes", type=int, nargs="*", choices=(10, 50), default=[10, 50])
    ap.add_argument("--quick", action="store_true", help="opsbot-nograph only, delays 0 and 60 s")
    ap.add_argument("--heldout", type=int, default=None,
                    help="seed of the held-out call-graph style (simulate_calls); scores it and stops")
    ap.add_argument("--faults", type=int, default=None,
                    help="seed of the tuning call-graph style (simulate_faults); scores it and stops")
    args = ap.parse_args()
    if args.heldout is not None or args.faults is not None:
        rng = np.random.default_rng(0)
        base = {"opsbot-nograph": _nograph, "baro": baro, "nsigma": nsigma,
                "random": lambda inp: random_ranking(inp, rng)}
        if args.faults is not None:
            _heldout(args.faults, base, simulate_faults, "TUNING simulate_faults")
        if args.heldout is not None:
            _heldout(args.heldout, base)
        return
    if args.quick:
        _quick(args)
        return
    rng = np.random.default_rng(0)
    rankers = {"opsbot-nograph": _nograph, "opsbot-graph": rank_names, "no-explain": _noexplain, "baro": baro,
               "nsigma": nsigma, "random": lambda inp: random_ranking(inp, rng)}
    split = {"opsbot-nograph": _nograph, "no-explain": _noexplain, "baro": baro, "nsigma": nsigma}
    links = ("nonlinear", "linear") if args.alt_links == "both" else (args.alt_links,)
    for link in links if args.alt is not None else ():
        cases = _alt_suite(10, 60, args.alt, link)
        print(f"\n== simulate_alt ({link} links), 10 services x 3 metrics, {len(cases)} cases, seed {args.alt}"
              " (service level) ==")
        alt = {k: v for k, v in rankers.items() if k != "opsbot-graph"}
        for delay in (0.0, 60.0):
            report = evaluate(cases, alt, delay=delay)
            for label, levels in report.items():
                m = levels["service"]
                print(f"{delay:>6.0f} {label:<15} {m['AC@1']:>6.3f} {m['AC@3']:>6.3f} {m['Avg@5']:>6.3f}"
                      f"   {m['random_Avg@5']:.3f}")
            print(f"{'':>6} Avg@5 by number of causes: {_by_causes(cases, split, delay)}")
            print(f"{'':>6} AC@1 by fault type: {_by_fault(cases, split, delay)}")
    with tempfile.TemporaryDirectory() as tmp:
        for nodes, seed in ((10, args.seed10), (50, args.seed50)):
            if nodes not in args.nodes:
                continue
            cases = _suite(Path(tmp), nodes, args.cases, seed)
            print(f"\n== {nodes} nodes, {len(cases)} cases, seed {seed} (metric level = service level here) ==")
            print(f"{'delay':>6} {'ranker':<15} {'AC@1':>6} {'AC@3':>6} {'Avg@5':>6}   random Avg@5"
                  "   | RCAEval first-answer: AC@1 AC@3 Avg@5")
            for delay in DELAYS:
                report = evaluate(cases, rankers, delay=delay)
                first = evaluate(cases, rankers, delay=delay, answers="first")
                for label, levels in report.items():
                    m, f = levels["metric"], first[label]["metric"]
                    print(f"{delay:>6.0f} {label:<15} {m['AC@1']:>6.3f} {m['AC@3']:>6.3f} {m['Avg@5']:>6.3f}"
                          f"   {m['random_Avg@5']:.3f}   | {f['AC@1']:.3f} {f['AC@3']:.3f} {f['Avg@5']:.3f}")
                ratio = report["opsbot-nograph"]["metric"]["Avg@5"] / max(report["baro"]["metric"]["Avg@5"], 1e-9)
                print(f"{'':>6} opsbot-nograph/baro Avg@5 ratio: {ratio:.2f}")
                if delay < 180:
                    print(f"{'':>6} Avg@5 by number of causes: {_by_causes(cases, split, delay)}")
                    print(f"{'':>6} AC@1 by root-cause metric (names only here): {_by_fault(cases, split, delay)}")
            if nodes == 50:
                med, p99, cpu = _timing(cases[0])
                baro_t = [time.perf_counter()]
                for _ in range(30):
                    baro(cases[0].input(60.0))
                baro_med = (time.perf_counter() - baro_t[0]) / 30
                print(f"\nranking time, 50-service case (1450 points each): wall median {med * 1000:.1f} ms, "
                      f"p99 {p99 * 1000:.1f} ms, CPU median {cpu * 1000:.1f} ms; BARO wall mean {baro_med * 1000:.1f} ms "
                      f"(ratio {med / baro_med:.1f}x); load {_load()}")


def _quick(args) -> None:
    """Print service-level AC@1 and Avg@5 of ``opsbot-nograph`` alone at delays 0 and 60 s."""
    links = ("nonlinear", "linear") if args.alt_links == "both" else (args.alt_links,)
    suites = [(f"simulate_alt ({link} links), seed {args.alt}", _alt_suite(10, 60, args.alt, link))
              for link in (links if args.alt is not None else ())]
    with tempfile.TemporaryDirectory() as tmp:
        for nodes, seed in ((10, args.seed10), (50, args.seed50)):
            if nodes in args.nodes:
                suites.append((f"{nodes} nodes, seed {seed}", _suite(Path(tmp), nodes, args.cases, seed)))
        for label, cases in suites:
            for delay in (0.0, 60.0):
                m = evaluate(cases, {"opsbot-nograph": _nograph}, delay=delay)["opsbot-nograph"]["service"]
                print(f"{label}, {len(cases)} cases, delay {delay:.0f}: opsbot-nograph AC@1 {m['AC@1']:.3f}"
                      f" Avg@5 {m['Avg@5']:.3f}   random AC@1 {m['random_AC@1']:.3f} Avg@5 {m['random_Avg@5']:.3f}",
                      flush=True)
                if label.startswith("simulate_alt"):  # CIRCA-style metric names are labels only
                    print("    AC@1 by fault type: " + _by_fault(cases, {"opsbot-nograph": _nograph}, delay), flush=True)
            if label.startswith("50 nodes"):
                med, p99, cpu = _timing(cases[0])
                print(f"ranking time, 50-service case: wall median {med * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms,"
                      f" CPU median {cpu * 1000:.1f} ms; load {_load()}", flush=True)


if __name__ == "__main__":
    main()
