"""Grouping quality with and without a dependency graph, and on a second, graph-less generator.

Run: .venv/bin/python tests/benchmarks/bench_grouping_fallback.py [--seeds 1-10] [--burst-window S] [--why]
Prints compression, pairwise F1 and lost incidents per seed and the range over seeds for:
storms with their graph; storms with the graph stripped, fallback off (before) and on (after);
burst streams (tests/integration/alerts/burst_streams.py) read as bare-alert JSONL; mesh streams
(tests/integration/alerts/mesh_streams.py: apps, namespaces, several clusters, no graph) as deliveries;
fan-out streams (tests/integration/alerts/fanout_streams.py: shared-infra cascades into team namespaces
among local incidents), written as a check after the rules, a design style since issue #5.
With --why, each mesh and fan-out line (streams whose fingerprints name one occurrence each) is
followed by its wrong links by rule: a join whose alert's true incident is not among those already in
the incident it joined (a false merge, named by the rule that made it), and `split`, a new incident
for a true incident that already had one.
Seeds 1-10 were used while designing the graph-less rules (and 101-130 for the cross-scope rule and
for issue #5); quote 11-40 and 41-70 as held out.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "integration" / "alerts")]

from burst_streams import burst_lines
from fanout_streams import fanout_deliveries
from mesh_streams import mesh_deliveries

from sqlalchemy import create_engine, select

from engine.alerts.config import AlertsConfig
from engine.lab.alerts.evaluate import read_stream, replay
from engine.alerts.fingerprint import fingerprint_of
from engine.lab.alerts.storm import StormParams, deliveries, header
from engine.alerts.streamio import TRUTH
from engine.alerts.tables import DecisionRow


def wrong_links(stream: list, cfg: AlertsConfig, url: str) -> Counter:
    """Return the replay's false merges by the rule that made them, and its splits (`split`)."""
    truth: dict[str, str] = {}
    volatile = frozenset(cfg.volatile_labels)
    for d in stream:
        for a in d.get("body", d).get("alerts", []):
            truth[a.get("fingerprint") or fingerprint_of(a["labels"], volatile)] = a.get(TRUTH)
    with create_engine(url).connect() as c:
        rows = c.execute(select(DecisionRow.name, DecisionRow.fingerprint, DecisionRow.incident_id)
                         .where(DecisionRow.stage.in_(["group", "inhibit"])).order_by(DecisionRow.id)).all()
    inside: dict[int, Counter] = defaultdict(Counter)  # incident -> true incidents of its alerts so far
    seen: set[str | None] = set()
    out: Counter = Counter()
    for name, fp, inc in rows:
        t = truth.get(fp)
        if name != "member":
            if name == "new" or not inside[inc]:
                out["split"] += t in seen
            elif t not in inside[inc]:
                out[name] += 1
        inside[inc][t] += 1
        seen.add(t)
    return out


async def _run(label: str, stream: list, cfg: AlertsConfig, rows: dict, why: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'replay.db'}"
        rep = await replay(stream, cfg, url if why else None)
        wrong = wrong_links(stream, cfg, url) if why else None
    rows.setdefault(label, []).append(rep)
    print(f"  {label:<22} alerts {rep.alerts:>4} true {rep.true_incidents:>3} incidents {rep.incidents:>3} "
          f"compression {rep.compression:.3f} P {rep.precision:.3f} R {rep.recall:.3f} F1 {rep.f1:.3f} "
          f"lost {rep.lost_incidents}", flush=True)
    if wrong is not None:
        print(f"  {'':<22} wrong links: {', '.join(f'{k} {v}' for k, v in sorted(wrong.items()) if v) or 'none'}")


async def main_async(seeds: list[int], window: float | None, why: bool = False) -> None:
    """Replay every case for every seed and print per-seed lines and a summary."""
    rows: dict[str, list] = {}
    burst = {} if window is None else {"burst_window_s": window}
    for s in seeds:
        print(f"seed {s}")
        p = StormParams(seed=s)
        stream = list(deliveries(p))
        graph = header(p)["alerts_config"]
        await _run("storm with graph", stream, AlertsConfig.model_validate({**graph, **burst}), rows)
        await _run("storm no graph, before", stream, AlertsConfig(burst_window_s=0), rows)
        await _run("storm no graph, after", stream, AlertsConfig.model_validate(burst), rows)
        _, bstream = read_stream(burst_lines(s))
        await _run("burst streams", bstream, AlertsConfig.model_validate(burst), rows)
        await _run("mesh streams", mesh_deliveries(s), AlertsConfig.model_validate(burst), rows, why)
        await _run("fan-out streams", fanout_deliveries(s), AlertsConfig.model_validate(burst), rows, why)
    print("\nsummary (min / median / max over seeds)")
    for label, reps in rows.items():
        def rng(f, reps=reps):
            vals = [getattr(r, f) for r in reps]
            return f"{min(vals):.3f} / {statistics.median(vals):.3f} / {max(vals):.3f}"
        print(f"  {label:<22} compression {rng('compression')}  ceiling {rng('compression_ceiling')}  "
              f"F1 {rng('f1')}  lost {sum(r.lost_incidents for r in reps)}  "
              f"F1<0.9 on {sum(r.f1 < 0.9 for r in reps)} of {len(reps)}")


def main() -> None:
    """Parse arguments and run the comparison."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1-10")
    ap.add_argument("--burst-window", type=float, default=None, help="override alerts.burst_window_s")
    ap.add_argument("--why", action="store_true", help="after each graph-less line, its wrong links by rule")
    a = ap.parse_args()
    lo, _, hi = a.seeds.partition("-")
    asyncio.run(main_async(list(range(int(lo), int(hi or lo) + 1)), a.burst_window, a.why))


if __name__ == "__main__":
    main()
