"""People's side of watches: `/ops watches`, mute and unmute, and feedback on anomaly alerts."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Protocol

from sqlalchemy import select
from sqlmodel import col

from engine.actor import Actor
from engine.anomaly import registry
from engine.anomaly.watches import alerting as al
from engine.anomaly.watches.config import WatchConfig
from engine.anomaly.watches.evidence import edited
from engine.anomaly.watches.tables import AnomalyFeedback, AnomalySeries, AnomalyWatch
from engine.core.clock import Clock
from engine.errors import InvalidInput, NotFound
from engine.core.notices import Notice
from engine.store.db import Database



class Watches(Protocol):
    """What these actions need of the watch service (kept apart so the service can import them)."""

    db: Database
    clock: Clock
    watches: dict[str, WatchConfig]
    emit: Callable[[Any, Notice, datetime], Awaitable[None]]
    receive: Callable[[str, bytes], Awaitable[Any]]

    def lock(self, name: str) -> asyncio.Lock:
        """Return the lock a watch's job holds while it scores."""
        ...

KINDS = ("useful", "not_anomaly")


def _iso(dt: Any) -> str | None:
    return dt.isoformat() if dt else None


def _status(row: AnomalyWatch | None, firing: int, warming: bool) -> str:
    if row is None or row.last_run_at is None:
        return "never ran"
    if row.muted:
        return "muted"
    if row.last_error:
        return "failing"
    if firing:
        return "firing"
    return "warming up" if warming else "ok"


async def statuses(svc: Watches) -> list[dict[str, Any]]:
    """Return every configured watch with its status, last score, last run and mute state."""
    async with svc.db.session() as s:
        rows = {r.name: r for r in (await s.execute(select(AnomalyWatch))).scalars().all()}
        series = (await s.execute(select(AnomalySeries))).scalars().all()
    out = []
    for name, w in sorted(svc.watches.items()):
        mine = [x for x in series if x.watch == name]
        firing = sum(x.firing for x in mine) + sum(x.forecast_firing for x in mine)
        warming = bool(mine) and all(x.scored_points <= w.warmup_points for x in mine)
        row = rows.get(name)
        out.append({"name": name, "status": _status(row, firing, warming), **_calming(mine, w.resolve_after_s),
                    "source": "replay" if w.replay else "promql",
                    "query": w.query or (w.replay.path if w.replay else ""), "step": w.step,
                    "detector": w.detector, "sensitivity": w.sensitivity,
                    "forecast": bool(w.forecast), "muted": bool(row and row.muted),
                    "muted_by": row.muted_by if row else "", "last_run_at": _iso(row.last_run_at if row else None),
                    "last_error": row.last_error if row else None,
                    "last_score": row.last_score if row else None,
                    "series": len(mine), "firing": firing,
                    "useful": sum(x.useful for x in mine), "not_anomaly": sum(x.not_anomaly for x in mine)})
    return out


def _calming(series: list[AnomalySeries], resolve_after_s: float) -> dict[str, Any]:
    """Say since when a firing watch's series have scored normal, and how long normal resolves it.

    "firing · last score 0.46" read as a contradiction: an alert stays until `resolve_after` passes
    without an anomalous point and the value is back within its expected range.
    """
    firing = [x for x in series if x.firing and x.last_anomalous_ts is not None]
    if not firing or any(x.last_anomalous_ts is not None and x.last_anomalous_ts >= x.last_ts for x in firing):
        return {"calm_since": None, "resolve_after_s": resolve_after_s}
    since = max(float(x.last_anomalous_ts or 0.0) for x in firing)
    return {"calm_since": datetime.fromtimestamp(since, timezone.utc).isoformat(), "resolve_after_s": resolve_after_s}


async def set_muted(svc: Watches, name: str, muted: bool, actor: Actor) -> dict[str, Any]:
    """Mute or unmute a watch; muted watches keep learning but raise no new alerts."""
    if name not in svc.watches:
        raise NotFound(f"no watch named {name!r}", hint=f"watches: {', '.join(sorted(svc.watches)) or 'none'}")
    async with svc.db.session() as s:
        row = await s.get(AnomalyWatch, name) or AnomalyWatch(name=name)
        changed = row.muted != muted
        row.muted = muted
        row.muted_by = (actor.name or actor.user_id) if muted else ""
        row.muted_at = svc.clock.now() if muted else None
        s.add(row)
    return {"name": name, "muted": muted, "changed": changed, "by": actor.name or actor.user_id}


async def feedback(svc: Watches, fingerprint: str, kind: str, actor: Actor) -> dict[str, Any]:
    """Record "Useful" or "Not an anomaly" for a series; the latter desensitizes it to that pattern."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown feedback {kind!r}")
    async with svc.db.session() as s:
        found = (await s.execute(select(col(AnomalySeries.watch))
                                 .where(col(AnomalySeries.fingerprint) == fingerprint))).first()
    if found is None:
        raise NotFound("this anomaly's series is no longer watched", hint="see /ops watches")
    watch = svc.watches.get(found.watch)
    async with svc.lock(found.watch):  # not while its job scores it
        now = svc.clock.now()
        resolve: dict[str, Any] | None = None
        async with svc.db.session() as s:
            r = (await s.execute(select(AnomalySeries).where(col(AnomalySeries.fingerprint) == fingerprint))
                 ).scalar_one()
            ev = dict(r.evidence or {})
            # One vote per person on an anomaly, the latest wins: a second click of the same
            # button changes nothing, the other button replaces the first.
            at = col(AnomalyFeedback.anomaly_ts)
            same_point = at == ev["at"] if ev.get("at") is not None else at.is_(None)
            mine = (await s.execute(select(AnomalyFeedback).where(
                col(AnomalyFeedback.fingerprint) == fingerprint, col(AnomalyFeedback.actor_id) == actor.user_id,
                same_point))).scalars().first()
            if mine is not None and mine.kind == kind:
                return {"watch": found.watch, "kind": kind, "labels": r.labels,
                        "useful": r.useful, "not_anomaly": r.not_anomaly}
            if mine is None:
                s.add(AnomalyFeedback(watch=r.watch, series_key=r.series_key, fingerprint=fingerprint, kind=kind,
                                      actor_id=actor.user_id, actor_name=actor.name or "", at=now,
                                      anomaly_ts=ev.get("at")))
            else:
                r.useful -= mine.kind == "useful"
                r.not_anomaly -= mine.kind == "not_anomaly"
                mine.kind, mine.at = kind, now
                s.add(mine)
            if kind == "useful":
                r.useful += 1
            else:
                r.not_anomaly += 1
                if r.anomaly_state and ev.get("at") is not None:
                    # Teach the detector as of the anomalous point, then let the next run re-score
                    # the points after it silently: the same pattern now scores lower.
                    det = registry.restore(r.anomaly_state)
                    det.feedback_not_anomaly()
                    r.detector_state, r.anomaly_state = det.to_state(), None
                    r.quiet_until_ts, r.last_ts = r.last_ts, float(ev["at"])
                if r.firing and watch is not None:
                    resolve = al.anomaly_alert(watch, r.labels, fingerprint, "resolved",
                                               r.firing_since_ts or r.last_ts, ev, None, now.timestamp())
                r.firing, r.last_anomalous_ts = False, None
            who = actor.name or actor.user_id
            marks = [*(m for m in ev.get("feedback", []) if m.get("by") != who), {"kind": kind, "by": who}]
            ev["feedback"] = marks
            r.evidence = ev
            s.add(r)
            if ev.get("notice"):
                await svc.emit(s, edited(ev["notice"], marks), now)
            counts = {"useful": r.useful, "not_anomaly": r.not_anomaly}
        if resolve is not None:
            await svc.receive("generic", al.body([resolve]))
    return {"watch": found.watch, "kind": kind, "labels": r.labels, **counts}


async def feedback_incident(svc: Watches, incident_id: int, kind: str, actor: Actor) -> dict[str, Any]:
    """Apply feedback to every anomaly series in an incident (the incident message's buttons)."""
    from engine.alerts.repo import A

    async with svc.db.session() as s:
        fps = (await s.execute(select(A.c.fingerprint).where(A.c.incident_id == incident_id,
                                                             A.c.fingerprint.like("anomaly:%")))).scalars().all()
    if not fps:
        raise NotFound(f"incident #{incident_id} has no anomaly alerts")
    results = [await feedback(svc, fp, kind, actor) for fp in fps]
    return {**results[-1], "series_count": len(results)}
