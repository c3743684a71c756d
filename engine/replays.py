"""Signed requests seen within their replay window, kept in the store so every replica sees them.

A signed request is valid for a window around its timestamp (Slack: 5 minutes). Within it the
same (timestamp, signature) pair can be sent again by anyone who captured it; the first
delivery claims the pair with one INSERT ... ON CONFLICT DO NOTHING and every later one finds
it taken. Rows older than the window are useless (a stale timestamp is refused anyway) and are
pruned by a scheduled job.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, String, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel

from engine.store.db import Database

WINDOW_S = 300  # Slack's own limit for request timestamps


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

    async def first_time(self, source: str, ts: int, signature: str) -> bool:
        """Record a request; return False when the same pair was recorded before (a replay)."""
        stmt = self._insert(SeenRequest).values(source=source, ts=ts, signature=signature)
        async with self.db.engine.begin() as conn:
            result = await conn.execute(stmt.on_conflict_do_nothing())
        return result.rowcount == 1

    async def prune(self, now: datetime) -> int:
        """Delete pairs whose timestamp left the window (with the window again as slack)."""
        cutoff = int(now.timestamp()) - 2 * self.window_s
        async with self.db.engine.begin() as conn:
            result = await conn.execute(delete(SeenRequest).where(SeenRequest.ts < cutoff))
        return result.rowcount or 0
