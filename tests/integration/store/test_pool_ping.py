"""PostgreSQL pool: a connection idle past PING_IDLE_S is pinged first, and a dead one replaced."""

from __future__ import annotations

import asyncpg
from sqlalchemy import text

from engine.store import db as db_module
from engine.store.db import Database


async def _backend_pid(db: Database) -> int:
    async with db.session() as s:
        return int((await s.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_idle_connection_killed_by_the_server_is_replaced(pg_url: str, pg_db: Database,
                                                                monkeypatch) -> None:
    pid = await _backend_pid(pg_db)
    other = await asyncpg.connect(pg_url)  # outside the pool, as a server restart would
    try:
        assert await other.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await other.close()
    monkeypatch.setattr(db_module, "PING_IDLE_S", 0.0)  # every pooled connection counts as idle
    assert await _backend_pid(pg_db) != pid  # the ping failed: a new connection serves


async def test_recently_used_connection_is_not_pinged(pg_db: Database, monkeypatch) -> None:
    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection as Adapted

    pings: list[str] = []
    orig = Adapted.ping
    monkeypatch.setattr(Adapted, "ping", lambda self: (pings.append("ping"), orig(self))[1])
    await _backend_pid(pg_db)
    await _backend_pid(pg_db)  # handed back moments ago: no ping before its statement
    assert pings == []
    monkeypatch.setattr(db_module, "PING_IDLE_S", 0.0)
    await _backend_pid(pg_db)
    assert pings == ["ping"]
