"""Signed requests seen within their replay window, kept in the store so every replica sees them.

A signed request is valid for a window around its timestamp (Slack: 5 minutes). Within it the
same (timestamp, signature) pair can be sent again by anyone who captured it; the first
delivery claims the pair with INSERT ... ON CONFLICT DO NOTHING and every later one finds it
taken. Claims arriving while one is being written are written together in the next statement
(one transaction per batch, not per request): on SQLite every write transaction queues on one
writer lock, and a transaction per request cost ~2 ms of CPU each under load. Rows older than
the window are useless (a stale timestamp is refused anyway) and are pruned by a scheduled job.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import BigInteger, Column, String, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel, col

from engine.store.db import Database

WINDOW_S = 300  # Slack's own limit for request timestamps
MAX_BATCH = 200  # rows per statement: 600 bound parameters, far under SQLite's limit

Key = tuple[str, int, str]  # (source, ts, signature)


class SeenRequest(SQLModel, table=True):
    """One accepted signed request: where it came from, its timestamp and signature."""

    __tablename__ = "replay_seen"

    # Timestamp first: the key's index also serves the prune's range delete.
    ts: int = Field(sa_column=Column(BigInteger, primary_key=True))
    signature: str = Field(sa_column=Column(String(128), primary_key=True))
    source: str = Field(sa_column=Column(String(32), primary_key=True))


class ReplayGuard:
    """Claim (timestamp, signature) pairs once; prune the ones past the window."""

    def __init__(self, db: Database, window_s: int = WINDOW_S) -> None:
        self.db = db
        self.window_s = window_s
        self._insert = sqlite_insert if db.is_sqlite else pg_insert
        self._pending: list[tuple[Key, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def first_time(self, source: str, ts: int, signature: str) -> bool:
        """Record a request; return False when the same pair was recorded before (a replay)."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append(((source, ts, signature), done))
        if self._writer is None or self._writer.done():
            # Its own task: a client that hangs up must not cancel other requests' claims.
            self._writer = asyncio.create_task(self._write_pending())
        return await done

    async def _write_pending(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                claimed = await self._claim(list(dict.fromkeys(key for key, _ in batch)))
            except Exception as exc:  # every waiter learns the store failed (and refuses)
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for key, done in batch:
                first = key in claimed
                claimed.discard(key)  # the same request twice in one batch: only the first runs
                if not done.done():
                    done.set_result(first)

    async def _claim(self, keys: list[Key]) -> set[Key]:
        """Insert the keys; return those that were new (RETURNING lists only inserted rows)."""
        rows = [{"source": s, "ts": t, "signature": g} for s, t, g in keys]
        stmt = (self._insert(SeenRequest).values(rows).on_conflict_do_nothing()
                .returning(col(SeenRequest.source), col(SeenRequest.ts), col(SeenRequest.signature)))
        async with self.db.engine.begin() as conn:
            return {(r[0], r[1], r[2]) for r in (await conn.execute(stmt)).all()}

    async def prune(self, now: datetime) -> int:
        """Delete pairs whose timestamp left the window (with the window again as slack)."""
        cutoff = int(now.timestamp()) - 2 * self.window_s
        async with self.db.engine.begin() as conn:
            result = await conn.execute(delete(SeenRequest).where(col(SeenRequest.ts) < cutoff))
        return result.rowcount or 0
