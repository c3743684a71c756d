"""The watches service: one leased job per watch scores new points and feeds the alert pipeline."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Coroutine

import numpy as np
from sqlalchemy import select

from engine.adapters.prometheus import Series
from engine.anomaly.watches import actions
from engine.anomaly.watches import alerting as al
from engine.anomaly.watches.config import WatchConfig
from engine.anomaly.watches.scoring import SeriesMemory, forecast_rule, forecast_verdict, score_all
from engine.ports import WatchSeries
from engine.anomaly.watches.tables import AnomalySeries, AnomalyWatch
from engine.core.clock import Clock
from engine.core.notices import Notice
from engine.store.db import Database

log = logging.getLogger("opsbot.anomaly")
Receive = Callable[[str, bytes], Awaitable[Any]]
EmitFn = Callable[[Any, Notice, datetime], Awaitable[None]]
MAX_BACKOFF_S = 1800.0
MEMORY_FIELDS = tuple(SeriesMemory.__dataclass_fields__)


@dataclass
class RunResult:
    """What one run of a watch did."""

    watch: str
    ok: bool
    skipped: str = ""  # why nothing ran (muted is not a reason: muted watches keep learning)
    series: int = 0
    points: int = 0
    fired: int = 0
    resolved: int = 0
    error: str = ""


class WatchService:
    """Runs metric watches: fetch, score new points, alert through the pipeline, remember state."""

    def __init__(self, db: Database, clock: Clock, watches: list[WatchConfig], sources: dict[str, WatchSeries],
                 receive: Receive, emit: EmitFn) -> None:
        self.db, self.clock, self.receive, self.emit = db, clock, receive, emit
        self.watches = {w.name: w for w in watches}
        self.sources = sources
        self._locks: dict[str, asyncio.Lock] = {}
        self._fails: dict[str, int] = {}
        self._next_try: dict[str, datetime] = {}

    def jobs(self) -> list[tuple[str, float, Callable[[datetime], Coroutine[Any, Any, None]]]]:
        """Return (job name, interval, job) for every watch, for the leased scheduler."""
        return [(f"watch:{w.name}", w.interval_s, self._job(w.name)) for w in self.watches.values()]

    def _job(self, name: str) -> Callable[[datetime], Coroutine[Any, Any, None]]:
        async def job(now: datetime) -> None:
            await self.run(name, now)
        return job

    def add(self, watch: WatchConfig, source: WatchSeries) -> None:
        """Add a watch at run time (the demo does); schedule its job separately."""
        self.watches[watch.name] = watch
        self.sources[watch.name] = source

    def lock(self, name: str) -> asyncio.Lock:
        """Return the lock a watch's job holds while it scores (feedback waits on it too)."""
        return self._locks.setdefault(name, asyncio.Lock())

    async def run(self, name: str, now: datetime | None = None, *, force: bool = False) -> RunResult:
        """Run one watch once; on a source failure skip this tick and back off."""
        async with self.lock(name):
            now = now or self.clock.now()
            if not force and name in self._next_try and now < self._next_try[name]:
                return RunResult(name, False, skipped=f"backing off until {self._next_try[name].isoformat()}")
            return await self._run(self.watches[name], now)

    async def _load(self, name: str) -> tuple[AnomalyWatch, dict[str, AnomalySeries]]:
        async with self.db.session() as s:
            row = await s.get(AnomalyWatch, name) or AnomalyWatch(name=name)
            series = (await s.execute(select(AnomalySeries).where(AnomalySeries.watch == name))).scalars().all()
            s.expunge_all()
        return row, {r.series_key: r for r in series}

    async def _fail(self, watch: WatchConfig, now: datetime, exc: Exception) -> RunResult:
        fails = self._fails.get(watch.name, 0) + 1
        self._fails[watch.name] = fails
        delay = min(MAX_BACKOFF_S, watch.interval_s * 2 ** (fails - 1))
        self._next_try[watch.name] = now + timedelta(seconds=delay)
        text = str(exc)[:500] or type(exc).__name__
        if fails == 1:  # say it once; the watch's status shows it until it recovers
            log.warning("watch %s failed, skipping ticks with back-off: %s", watch.name, text)
        async with self.db.session() as s:
            row = await s.get(AnomalyWatch, watch.name) or AnomalyWatch(name=watch.name)
            row.last_run_at, row.last_error = now, text
            s.add(row)
        return RunResult(watch.name, False, error=text)

    async def _run(self, watch: WatchConfig, now: datetime) -> RunResult:
        row, known = await self._load(watch.name)
        source_state = dict(row.source_state)
        start = now - timedelta(seconds=watch.lookback_s)
        try:
            series = await self.sources[watch.name].fetch(start, now, source_state)
        except Exception as exc:  # Unavailable, InvalidInput, or a bug: skip this tick either way
            return await self._fail(watch, now, exc)
        series = sorted(series, key=lambda x: al.series_key(x.labels))[: watch.max_series]
        link = self.sources[watch.name].link(start, now)
        work = [(x, known.get(al.series_key(x.labels))) for x in series]
        verdicts = await asyncio.to_thread(self._score_all, watch, work)
        alerts: list[tuple[str, dict[str, Any]]] = []
        result = RunResult(watch.name, True, series=len(series))
        rows: list[AnomalySeries] = []
        for (x, old), (verdict, fc) in zip(work, verdicts):
            key = al.series_key(x.labels)
            r = old or AnomalySeries(watch=watch.name, series_key=key, labels=x.labels,
                                     fingerprint=al.fingerprint(al.ANOMALY, watch.name, key))
            mem = verdict.memory
            result.points += verdict.new_points
            if verdict.change == "fire" and row.muted:
                mem.firing = False  # muted: keep learning, say nothing
            elif verdict.change == "fire":
                alerts.append((al.ANOMALY, al.anomaly_alert(watch, x.labels, r.fingerprint, "firing",
                                                            mem.firing_since_ts or mem.last_ts, mem.evidence, link, None)))
                result.fired += 1
            elif verdict.change == "resolve":
                alerts.append((al.ANOMALY, al.anomaly_alert(watch, x.labels, r.fingerprint, "resolved",
                                                            mem.firing_since_ts or mem.last_ts, mem.evidence, link,
                                                            mem.last_ts)))
                result.resolved += 1
            for f in MEMORY_FIELDS:
                setattr(r, f, getattr(mem, f))
            self._forecast_alert(watch, x, r, fc, row.muted, now, link, alerts, result)
            r.last_score = verdict.last_score if verdict.new_points else r.last_score
            rows.append(r)
        if alerts:
            try:
                await self.receive("generic", al.body([a for _, a in alerts]))
            except Exception as exc:  # state is not saved: the next run re-scores and re-sends
                return await self._fail(watch, now, exc)
        await self._commit(watch, row, rows, source_state, alerts, now)
        self._fails.pop(watch.name, None)
        self._next_try.pop(watch.name, None)
        return result

    def _forecast_alert(self, watch: WatchConfig, x: Series, r: AnomalySeries, fc: Any, muted: bool,
                        now: datetime, link: str | None, alerts: list, result: RunResult) -> None:
        if fc is None:
            return
        change, crossing = fc
        fp = al.fingerprint(al.FORECAST, watch.name, r.series_key)
        ts = now.timestamp()
        if change == "fire" and not muted:
            r.forecast_firing = True
            r.forecast = {"since": ts, "text": al.forecast_text(watch, x.labels, crossing)}
            alerts.append((al.FORECAST, al.forecast_alert(watch, x.labels, fp, "firing", ts, crossing, link, ts)))
            result.fired += 1
        elif change == "resolve":
            since = (r.forecast or {}).get("since", ts)
            r.forecast_firing = False
            alerts.append((al.FORECAST, al.forecast_alert(watch, x.labels, fp, "resolved", ts, crossing, link, since)))
            result.resolved += 1

    @staticmethod
    def _score_all(watch: WatchConfig, work: list[tuple[Series, AnomalySeries | None]]) -> list[tuple]:
        """Score every series (in a worker thread: numpy and the forecast fit are CPU work)."""
        rule = forecast_rule(watch)
        items = [(SeriesMemory(**{f: getattr(old, f) for f in MEMORY_FIELDS}) if old else SeriesMemory(),
                  np.asarray(x.timestamps, dtype=np.float64), np.asarray(x.values, dtype=np.float64)) for x, old in work]
        verdicts = score_all(watch, items)
        out = []
        for (_, old), (_, ts, vs), verdict in zip(work, items, verdicts):
            fc = forecast_verdict(rule, bool(old and old.forecast_firing), ts, vs) if rule else None
            out.append((verdict, fc))
        return out

    async def _commit(self, watch: WatchConfig, row: AnomalyWatch, rows: list[AnomalySeries],
                      source_state: dict[str, Any], alerts: list[tuple[str, dict[str, Any]]], now: datetime) -> None:
        from engine.anomaly.watches.evidence import evidence_notices

        async with self.db.session() as s:
            current = await s.get(AnomalyWatch, watch.name) or AnomalyWatch(name=watch.name)
            current.last_run_at, current.last_ok_at, current.last_error = now, now, None
            current.source_state, current.series_count = source_state, len(rows)
            scored = [r.last_score for r in rows if r.scored_points]
            current.last_score = max(scored) if scored else None
            s.add(current)
            merged = [await s.merge(r) for r in rows]
            for notice in await evidence_notices(s, watch, merged, alerts):
                await self.emit(s, notice, now)

    async def statuses(self) -> list[dict[str, Any]]:
        """Return every watch with status, last score, last run and mute state."""
        return await actions.statuses(self)

    async def set_muted(self, name: str, muted: bool, actor: Any) -> dict[str, Any]:
        """Mute or unmute a watch."""
        return await actions.set_muted(self, name, muted, actor)

    async def feedback(self, fingerprint: str, kind: str, actor: Any) -> dict[str, Any]:
        """Record feedback on an anomaly alert ("useful" or "not_anomaly")."""
        if fingerprint.startswith("incident:"):  # the incident message's buttons carry its id
            return await actions.feedback_incident(self, int(fingerprint.split(":", 1)[1]), kind, actor)
        return await actions.feedback(self, fingerprint, kind, actor)
