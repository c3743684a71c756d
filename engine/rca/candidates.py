"""Gather what the ranker looks at around an incident's onset: metrics of the involved services
and their graph neighbours, other alerts firing in the window, and change events."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import select

from engine.alerts.tables import AlertRow
from engine.core.clock import utc
from engine.errors import OpsError, Unavailable
from engine.ports import Metrics, ServiceSignals
from engine.rca.changes import ChangeLog
from engine.rca.config import RcaConfig
from engine.rca.types import ChangeEvent, FiringAlert, RcaInput, Series
from engine.store.db import Database


class PrometheusSource:
    """Signals from PromQL range queries (the adapter runs them off the event loop)."""

    def __init__(self, prom: Metrics) -> None:
        self.prom = prom

    async def fetch(self, service: str, metric: str, promql: str, start: datetime, end: datetime,
                    step_s: float) -> Series | None:
        """Return the query's series; several series are summed per timestamp."""
        found = await self.prom.query_range(promql, start, end, step_s)
        if not found:
            return None
        total: dict[float, float] = {}
        for s in found:
            for t, v in zip(s.timestamps, s.values):
                total[t] = total.get(t, 0.0) + v
        times = sorted(total)
        return Series.of(times, [total[t] for t in times])

    def link(self, promql: str, start: datetime, end: datetime, step_s: float) -> str | None:
        """Return the Prometheus graph page for the query."""
        return self.prom.graph_url(promql, start, end, step_s)


class ReplaySource:
    """Signals recorded in a CSV (`time` in unix seconds, one `<service>_<metric>` column each)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._data: dict[str, Series] | None = None
        self._lock = asyncio.Lock()

    async def _load(self) -> dict[str, Series]:
        async with self._lock:
            if self._data is None:
                from engine.rca.grid import frame_series  # the evaluation's CSV reader uses the same rules

                import pandas as pd
                try:
                    frame = await asyncio.to_thread(pd.read_csv, self.path)
                except FileNotFoundError:  # not cached: a recording written later is read then
                    raise Unavailable(f"no recorded signals at {self.path} yet",
                                      hint="record them there, or set OPSBOT_PROMETHEUS_URL") from None
                self._data = await asyncio.to_thread(frame_series, frame)
            return self._data

    async def fetch(self, service: str, metric: str, promql: str, start: datetime, end: datetime,
                    step_s: float) -> Series | None:
        """Return the recorded column between start and end, or None when it was not recorded."""
        s = (await self._load()).get(f"{service}_{metric}")
        if s is None:
            return None
        keep = (s.times >= start.timestamp()) & (s.times <= end.timestamp())
        return Series(s.times[keep], s.values[keep]) if keep.any() else None

    def link(self, promql: str, start: datetime, end: datetime, step_s: float) -> str | None:
        """Recorded data has no graph page."""
        return None


@dataclass
class Candidates:
    """The ranker's input plus what the message needs to explain each signal."""

    inp: RcaInput
    onset: datetime
    start: datetime
    end: datetime
    services: list[str]
    queries: dict[str, str]  # signal name -> PromQL
    change_meta: dict[ChangeEvent, dict] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def neighbourhood(seeds: list[str], graph: dict[str, list[str]], hops: int, limit: int) -> list[str]:
    """Return the seeds, all their upstreams (causes), and dependents within `hops`, nearest first."""
    dependents: dict[str, list[str]] = {}
    for svc, deps in graph.items():
        for d in deps:
            dependents.setdefault(d, []).append(svc)
    order: dict[str, None] = dict.fromkeys(seeds)
    queue = deque((s, 0) for s in seeds)
    while queue and len(order) < limit:
        svc, dist = queue.popleft()
        # A root cause can sit any number of hops upstream; downstream only shows more symptoms.
        nxt = [(d, dist + 1) for d in sorted(graph.get(svc, []))]
        if dist < hops:
            nxt += [(d, dist + 1) for d in sorted(dependents.get(svc, []))]
        for other, d in nxt:
            if other not in order:
                order[other] = None
                queue.append((other, d))
    return list(order)[:limit]


async def _firing_alerts(db: Database, start: datetime, end: datetime, label: str) -> list[FiringAlert]:
    async with db.session() as s:
        rows = (await s.execute(select(AlertRow.starts_at, AlertRow.alertname, AlertRow.labels)
                                .where(AlertRow.starts_at >= start, AlertRow.starts_at <= end).limit(2000))).all()
    return [FiringAlert(utc(r.starts_at).timestamp(), r.labels[label], r.alertname)
            for r in rows if r.labels.get(label)]


async def gather(db: Database, cfg: RcaConfig, graph: dict[str, list[str]], source: ServiceSignals,
                 changes: ChangeLog, seeds: list[str], onset: datetime, now: datetime,
                 service_label: str = "service") -> Candidates:
    """Query every signal of the neighbourhood concurrently and collect alerts and changes."""
    services = neighbourhood(seeds, graph, cfg.neighbour_hops, cfg.max_services)
    start = onset - timedelta(seconds=cfg.baseline_s)
    end = max(min(now, onset + timedelta(seconds=cfg.after_s)), onset + timedelta(seconds=cfg.step_s))
    queries = {f"{svc}_{m}": q for svc in services for m, q in cfg.queries_for(svc).items()}
    gate = asyncio.Semaphore(cfg.query_concurrency)
    problems: list[str] = []

    async def one(name: str, promql: str) -> tuple[str, Series | None]:
        svc, _, metric = name.partition("_")
        async with gate:
            try:
                return name, await source.fetch(svc, metric, promql, start, end, cfg.step_s)
            except OpsError as exc:
                problems.append(f"{name}: {exc.message}")
                return name, None

    fetched = await asyncio.gather(*(one(n, q) for n, q in queries.items()))
    series = {n: s for n, s in fetched if s is not None and s.values.size >= 3}
    if not series and problems:
        raise Unavailable(f"no signal could be read: {problems[0]}", hint="check OPSBOT_PROMETHEUS_URL")
    alerts = await _firing_alerts(db, start, end, service_label)
    events, meta = await changes.around(onset - timedelta(seconds=cfg.change_window_s), end)
    sub = {s: [d for d in graph.get(s, []) if d in services] for s in services}
    has_edges = any(sub.values())
    inp = RcaInput(series, onset.timestamp(), graph=sub if has_edges else None, changes=events,
                   alerts=[a for a in alerts if a.service in services])
    return Candidates(inp, onset, start, end, services, {n: q for n, q in queries.items() if n in series},
                      meta, problems)


def points_between(series: Series, lo: float, hi: float) -> np.ndarray:
    """Return the values of a series in [lo, hi] (for the message's before/after figures)."""
    keep = (series.times >= lo) & (series.times <= hi)
    return series.values[keep]
