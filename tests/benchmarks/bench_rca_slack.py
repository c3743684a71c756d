"""Benchmark: time from clicking "Show hypotheses" to the answer posted in the incident thread,
for a 50-service incident whose signals live in a real, backfilled Prometheus.

Run: .venv/bin/python tests/benchmarks/bench_rca_slack.py [--services 50] [--clicks 7]

The service graph is a random tree (each service depends on one or two earlier ones); the
fault starts at a deep service and cascades to the alerting root.  Every click re-reads all
signals (3 PromQL range queries per service, 90 minutes at 60 s), ranks, stores, and posts
through the outbox to the local workspace.  Side by side: the same clicks with the signals
replayed from a CSV (no Prometheus), which isolates the query cost.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.stack import start_local_stack
from engine.config import OpsbotConfig
from engine.lab.rca.demo import alert_body, cascade, incident_message
from engine.settings import EngineSettings
from tests.scenario.rca.test_rca_prometheus import QUERIES, _iso, _openmetrics
from tests.servers import start_prometheus


def tree(n: int, seed: int) -> dict[str, list[str]]:
    """Return a random dependency graph: s00 is the front door, higher numbers are deeper."""
    rng = np.random.default_rng(seed)
    graph: dict[str, list[str]] = {f"s{i:02d}": [] for i in range(n)}
    for i in range(1, n):
        parents = {int(rng.integers(0, i))} | ({int(rng.integers(0, i))} if rng.random() < 0.3 else set())
        for p in parents:
            graph[f"s{p:02d}"].append(f"s{i:02d}")
    return graph


async def clicks(settings: EngineSettings, config: OpsbotConfig, onset: float, n: int) -> list[float]:
    """Open one incident, click Show hypotheses `n` times, return seconds from click to reply."""
    stack = await start_local_stack(settings, config)
    ws = stack.workspace
    try:
        await stack.bot.engine.alerts.receive("generic", alert_body("s00", "HighLatency", _iso(onset + 180), "p99"))
        msg = await ws.wait_for(lambda: incident_message(ws, "incidents"), timeout=30)
        out = []
        for i in range(n):
            t = time.perf_counter()
            await ws.click("alice", "incidents", msg["ts"], "rca.show")
            await ws.wait_for(lambda i=i: sum(r["text"].startswith("Hypotheses") for r in ws.replies("incidents", msg["ts"]))
                              > i, timeout=30)
            out.append(time.perf_counter() - t)
        return out
    finally:
        await stack.stop()


def main() -> None:
    """Print click-to-answer medians and maxima, Prometheus vs replay."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--services", type=int, default=50)
    ap.add_argument("--clicks", type=int, default=7)
    args = ap.parse_args()
    graph = tree(args.services, 5)
    deepest = max(graph, key=lambda s: int(s[1:]))
    end = float(int(time.time()) // 60 * 60 - 60)
    case = cascade(end=end, graph={s: d for s, d in graph.items()}, root=f"{deepest}_latency",
                   baseline_points=80, after_points=8)
    # cascade() wants service -> dependencies; tree() built service -> callees, i.e. the same.
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        proc, url = start_prometheus(tmp_path, _openmetrics(case.columns, case.times))
        try:
            base = {"alerts": {"default_channel": "#incidents"},
                    "rca": {"services": {s: {"depends_on": d} for s, d in graph.items()}, "queries": QUERIES,
                            "auto_interval_s": 0, "max_services": args.services, "baseline_s": 4800}}
            prom = asyncio.run(clicks(EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}",
                                                     OPSBOT_PROMETHEUS_URL=url),
                                      OpsbotConfig.model_validate(base), case.onset, args.clicks))
            case.to_csv(tmp_path / "replay.csv")
            base["rca"]["replay_csv"] = str(tmp_path / "replay.csv")
            replay = asyncio.run(clicks(EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'r.db'}"),
                                        OpsbotConfig.model_validate(base), case.onset, args.clicks))
        finally:
            proc.terminate()
            proc.wait(10)
    signals = sum(1 for n in case.columns)
    print(f"{args.services}-service incident, {signals} signals, {args.clicks} clicks each (first click included)")
    for name, xs in (("prometheus", prom), ("replay-csv", replay)):
        print(f"  {name:11s} median {statistics.median(xs):.2f} s  max {max(xs):.2f} s  first {xs[0]:.2f} s")
    print(f"  prometheus / replay median ratio {statistics.median(prom) / statistics.median(replay):.2f}x"
          f"  (target: under 5 s)")


if __name__ == "__main__":
    main()
