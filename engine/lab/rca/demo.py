"""A hand-made incident cascade over a small service graph, for the demo and the scenario tests.

A fault starts at one signal of a root service; every dependent service then degrades one
step later per hop, a little less each hop, as an overloaded dependency would make its
callers slow and failing.  The data are what Prometheus would have recorded: one series per
`<service>_<metric>`, with noise, so the ranker has to find the root the same way it would
in production.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.rca.topology import dependents_closure
from engine.lab import SEED_WAIT_S

DEMO_GRAPH = {"frontend": ["checkout"], "checkout": ["payments", "inventory"], "payments": ["db"],
              "inventory": ["db"], "db": []}
BASELINES = {"latency": 0.12, "errors": 0.01, "saturation": 0.35}
SCALES = {"latency": 0.01, "errors": 0.002, "saturation": 0.03}


@dataclass(frozen=True)
class Cascade:
    """Simulated signals, when the fault began, and the true root cause."""

    times: np.ndarray
    columns: dict[str, np.ndarray]
    onset: float
    root: str  # `<service>_<metric>`

    def to_csv(self, path: Path) -> None:
        """Write the signals as a replay CSV (`time`, then one column per signal)."""
        names = sorted(self.columns)
        rows = [",".join(["time", *names])]
        rows += [",".join([f"{t:.0f}", *(f"{self.columns[n][i]:.5f}" for n in names)])
                 for i, t in enumerate(self.times)]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _hops(graph: dict[str, list[str]], root: str) -> dict[str, int]:
    """Return how many dependency hops each affected service is from the root service."""
    dependents: dict[str, list[str]] = {}
    for svc, deps in graph.items():
        for d in deps:
            dependents.setdefault(d, []).append(svc)
    hops, frontier = {root: 0}, [root]
    while frontier:
        nxt = []
        for s in frontier:
            for d in dependents.get(s, []):
                if d not in hops:
                    hops[d] = hops[s] + 1
                    nxt.append(d)
        frontier = nxt
    return hops


def cascade(end: float, graph: dict[str, list[str]] | None = None, root: str = "db_saturation",
            step: float = 60.0, baseline_points: int = 90, after_points: int = 12, seed: int = 7) -> Cascade:
    """Simulate signals ending at `end` with a fault at `root` `after_points` steps before the end."""
    graph = graph or DEMO_GRAPH
    rng = np.random.default_rng(seed)
    n = baseline_points + after_points
    times = end - step * np.arange(n)[::-1]
    onset_i = baseline_points
    root_service = root.partition("_")[0]
    hops = _hops(graph, root_service)
    assert set(dependents_closure(graph).get(root_service, set())) | {root_service} == set(hops)
    columns: dict[str, np.ndarray] = {}
    for svc in sorted(set(graph) | {d for ds in graph.values() for d in ds}):
        for metric, base in BASELINES.items():
            noise = np.zeros(n)
            for i in range(1, n):  # AR(1) noise: real signals wander a little, they are not white
                noise[i] = 0.5 * noise[i - 1] + rng.normal(0, SCALES[metric])
            values = base + noise
            if svc in hops:
                h = hops[svc]
                start = onset_i + h + (1 if svc == root_service and f"{svc}_{metric}" != root else 0)
                if f"{svc}_{metric}" == root:
                    size = 25.0
                elif metric == "saturation":
                    size = 0.0  # callers wait on the dependency; their own CPU does not climb
                else:
                    size = 18.0 * 0.7 ** h
                ramp = np.clip((np.arange(n) - start + 1) / 2.0, 0.0, 1.0)
                values = values + size * SCALES[metric] * ramp
            columns[f"{svc}_{metric}"] = np.maximum(values, 0.0)
    return Cascade(times, columns, float(times[onset_i]), root)


def alert_body(service: str, alertname: str, starts_at: str, summary: str) -> bytes:
    """Return a generic-webhook body with one firing alert."""
    return json.dumps({"source": "demo-monitor", "alerts": [{
        "labels": {"alertname": alertname, "service": service, "severity": "critical"},
        "annotations": {"summary": summary}, "status": "firing", "startsAt": starts_at}]}).encode()


def demo_rca_config(replay_csv: Path) -> dict[str, Any]:
    """Return the demo's `rca:` section: the cascade's graph and the recorded signals."""
    return {"services": {svc: {"depends_on": deps} for svc, deps in DEMO_GRAPH.items()},
            "replay_csv": str(replay_csv), "auto_interval_s": 5.0,
            "baseline_s": 5400.0}  # the recording holds 90 minutes before the fault


REPLAY_FILE = "rca-replay.csv"


def incident_message(ws: Any, channel: str, incident_id: int | None = None,
                     contains: str = "") -> dict[str, Any] | None:
    """Return the newest incident message carrying "Show hypotheses" (with this id or text, if given)."""
    for m in reversed(ws.messages(channel)):
        if ("rca.show" in json.dumps(m.get("blocks", [])) and contains in m["text"]
                and (incident_id is None or f"#{incident_id}" in m["text"])):
            return m
    return None


async def seed_rca_demo(ctx: Any, channel: str = "incidents") -> str:
    """Record a db-saturation cascade, fire the frontend's alert, and ask for hypotheses as alice."""
    import asyncio
    from datetime import datetime, timezone

    eng, ws = ctx.stack.bot.engine, ctx.stack.workspace
    now = eng.clock.now().timestamp()
    case = cascade(end=now, root="db_saturation", baseline_points=90, after_points=8)
    case.to_csv(Path(eng.config.rca.replay_csv or ctx.data_dir / REPLAY_FILE))
    iso = lambda t: datetime.fromtimestamp(t, timezone.utc).isoformat()
    await eng.rca.changes.receive(json.dumps({"source": "demo-deployer", "changes": [
        {"service": "db", "kind": "config", "at": iso(case.onset - 120),
         "description": "max_connections 200 -> 50", "id": "demo-db-config"},
        {"service": "frontend", "kind": "deploy", "at": iso(case.onset - 2400),
         "description": "frontend v2.8.1", "id": "demo-frontend-deploy"}]}).encode())
    await eng.alerts.receive("generic", alert_body("frontend", "HighLatency", iso(case.onset + 180),
                                                   "p99 latency above 1 s on frontend"))
    deadline = asyncio.get_running_loop().time() + SEED_WAIT_S
    while (msg := incident_message(ws, channel, contains="HighLatency")) is None:  # not another seed's incident
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the demo incident was not posted")
        await asyncio.sleep(0.2)
    await ws.click("alice", channel, msg["ts"], "rca.show")
    await ws.wait_for(lambda: any("Hypotheses for incident" in r.get("text", "")
                                  for r in ws.replies(channel, msg["ts"])), timeout=SEED_WAIT_S)
    return (f"a db saturation cascade paged the frontend in #{channel}: open the incident's thread for "
            f"hypotheses (Confirmed / Wrong, `/ops rca stats`)")
