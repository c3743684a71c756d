"""Reads and compare-and-set writes on the auto tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.auto.tables import AutoFire, AutoTrigger
from engine.core.clock import utc
from engine.store.db import Database


async def ensure_trigger(db: Database, trigger_id: str, mode: str, now: datetime) -> None:
    """Create a trigger's state row (from its file's mode) unless a replica already did."""
    async with db.session() as s:
        if await s.get(AutoTrigger, trigger_id) is not None:
            return
    try:
        async with db.session() as s:
            s.add(AutoTrigger(trigger_id=trigger_id, mode=mode, source="config", updated_at=now))
    except IntegrityError:
        pass  # another replica created it first


async def lock_trigger(s: AsyncSession, trigger_id: str) -> AutoTrigger | None:
    """Take the trigger row's write lock first thing in a transaction and return the row."""
    await s.exec(update(AutoTrigger).where(col(AutoTrigger.trigger_id) == trigger_id)
                 .values(version=col(AutoTrigger.version) + 1))
    return (await s.exec(select(AutoTrigger).where(col(AutoTrigger.trigger_id) == trigger_id)
                         .execution_options(populate_existing=True))).first()


async def triggers(db: Database) -> dict[str, AutoTrigger]:
    """Return every trigger state row by id."""
    async with db.session() as s:
        rows = (await s.exec(select(AutoTrigger))).all()
        for r in rows:
            s.expunge(r)
        return {r.trigger_id: r for r in rows}


async def recent_runs(s: AsyncSession, trigger_id: str, since: datetime) -> int:
    """Return how many automatic runs a trigger started since a time."""
    q = select(func.count()).select_from(AutoFire).where(
        col(AutoFire.trigger_id) == trigger_id, col(AutoFire.mode) == "auto", col(AutoFire.fired_at) >= since)
    return int((await s.exec(q)).one())


def _norm(rows: Iterable[AutoFire]) -> list[AutoFire]:
    out = list(rows)
    for r in out:
        r.fired_at, r.incident_opened_at = utc(r.fired_at), utc(r.incident_opened_at)
        r.settled_at = utc(r.settled_at) if r.settled_at else None
    return out


async def fires(db: Database, *, incident_ids: Iterable[int] | None = None, since: datetime | None = None,
                unsettled: bool = False) -> list[AutoFire]:
    """Return firings, oldest first, filtered by incident, time or unsettled automatic runs."""
    q = select(AutoFire).order_by(col(AutoFire.id))
    if incident_ids is not None:
        q = q.where(col(AutoFire.incident_id).in_(list(incident_ids)))
    if since is not None:
        q = q.where(col(AutoFire.fired_at) >= since)
    if unsettled:
        q = q.where(col(AutoFire.mode) == "auto", col(AutoFire.outcome) == "",
                    col(AutoFire.request_id).is_not(None))
    async with db.session() as s:
        rows = (await s.exec(q)).all()
        for r in rows:
            s.expunge(r)
    return _norm(rows)


async def settle(s: AsyncSession, fire_id: int, outcome: str, now: datetime) -> bool:
    """Record a run's outcome once (compare-and-set on the empty outcome); return True if this caller did."""
    stmt = (update(AutoFire).where(col(AutoFire.id) == fire_id, col(AutoFire.outcome) == "")
            .values(outcome=outcome, settled_at=now))
    return (await s.exec(stmt)).rowcount == 1


async def set_request(db: Database, fire_id: int, request_id: int | None, outcome: str = "") -> None:
    """Link a firing to the approval request that runs it."""
    async with db.session() as s:
        values: dict[str, Any] = {"request_id": request_id}
        if outcome:
            values["outcome"] = outcome
        await s.exec(update(AutoFire).where(col(AutoFire.id) == fire_id).values(**values))
