"""The dead letter: stored alert batches the retry job gave up on, kept for a person to read."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from engine.alerts.tables import AlertBatch
from engine.errors import NotFound
from engine.store.db import Database, table_of

log = logging.getLogger("opsbot.alerts")
B = table_of(AlertBatch)


async def record_failure(db: Database, now: datetime, bid: int, attempts: int, exc: Exception,
                         dead: bool) -> bool:
    """Count one failed retry of a stored batch, setting it aside when `dead`; return True if it was."""
    # Counting failures is what stops a poison batch from being retried every tick forever.
    attempts += 1
    error = repr(exc)[:500]
    try:
        async with db.session() as s:
            await s.execute(update(B).where(B.c.id == bid, B.c.processed_at.is_(None))
                            .values(attempts=attempts, error=error, dead_at=now if dead else None))
    except Exception:  # the store is gone: the batch stays pending and is counted next time
        log.exception("could not record the failure of stored alert batch %s", bid)
        return False
    if dead:
        log.error("alert batch %s moved to the dead letter after %d failed attempts: %s "
                  "(`opsbot alerts dead-letter` lists it)", bid, attempts, error)
    return dead


async def count(db: Database) -> int:
    """Return how many stored batches are in the dead letter."""
    async with db.session() as s:
        return int((await s.execute(select(func.count()).select_from(B).where(B.c.dead_at.is_not(None))))
                   .scalar_one())


async def entries(db: Database, limit: int = 100) -> list[dict[str, Any]]:
    """Return the dead-lettered batches, oldest first (id, source, when, attempts, last error)."""
    async with db.session() as s:
        rows = (await s.execute(select(B.c.id, B.c.source, B.c.received_at, B.c.dead_at, B.c.attempts, B.c.error)
                                .where(B.c.dead_at.is_not(None)).order_by(B.c.id).limit(limit))).all()
    return [dict(r._mapping) for r in rows]


async def requeue(db: Database, bid: int) -> None:
    """Give a dead-lettered batch back to the retry job (after fixing what made it fail)."""
    async with db.session() as s:
        res = await s.exec(update(B).where(B.c.id == bid, B.c.dead_at.is_not(None))
                           .values(dead_at=None, attempts=0))
    if res.rowcount != 1:
        raise NotFound(f"alert batch {bid} is not in the dead letter", hint="`opsbot alerts dead-letter` lists it")
