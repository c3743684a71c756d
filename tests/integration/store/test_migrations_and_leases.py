"""The store on SQLite and PostgreSQL: migrations, leases, outbox persistence."""

from __future__ import annotations

import asyncio

from sqlmodel import SQLModel

from engine.clock import FakeClock
from engine.leases import Leases
from engine.store.db import Database
from engine.store.migrate import current_revision, head_revision, migrate


async def _fresh(url: str) -> Database:
    return Database(url)


async def test_migrations_reach_head_and_match_the_tables(tmp_path, pg_url):
    import engine.store.tables  # noqa: F401

    for url in (f"sqlite:///{tmp_path / 'm.db'}", pg_url):
        db = Database(url)
        await migrate(db)
        await migrate(db)  # idempotent
        assert await current_revision(db) == head_revision()

        def table_names(conn):
            from sqlalchemy import inspect

            return set(inspect(conn).get_table_names())

        names = await db.run_sync(table_names)
        assert set(SQLModel.metadata.tables) <= names, "a table has no migration: run scripts/new_migration.py"
        await db.dispose()


async def test_concurrent_migrations_on_postgres_do_not_race(pg_url):
    dbs = [Database(pg_url) for _ in range(3)]
    await asyncio.gather(*(migrate(d) for d in dbs))
    assert await current_revision(dbs[0]) == head_revision()
    for d in dbs:
        await d.dispose()


async def test_lease_is_exclusive_and_moves_when_it_expires(db):
    clock = FakeClock()
    a, b = Leases(db, clock, "replica-a"), Leases(db, clock, "replica-b")
    token_a = await a.acquire("job:x", ttl_s=10)
    assert token_a is not None
    assert await b.acquire("job:x", ttl_s=10) is None
    assert await a.acquire("job:x", ttl_s=10) == token_a  # renewal keeps the token
    clock.advance(11)
    token_b = await b.acquire("job:x", ttl_s=10)
    assert token_b is not None and token_b > token_a  # fencing token moves forward
    assert await a.acquire("job:x", ttl_s=10) is None
    await b.release("job:x")
    assert await a.acquire("job:x", ttl_s=10) is not None


async def test_concurrent_acquires_elect_exactly_one_holder(db):
    clock = FakeClock()
    contenders = [Leases(db, clock, f"r{i}") for i in range(8)]
    results = await asyncio.gather(*(c.acquire("job:y", ttl_s=30) for c in contenders))
    assert sum(r is not None for r in results) == 1
