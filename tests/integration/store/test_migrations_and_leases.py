"""The store on SQLite and PostgreSQL: migrations, leases, outbox persistence."""

from __future__ import annotations

import asyncio

from sqlmodel import SQLModel

from engine.core.clock import FakeClock
from engine.core.leases import Leases
from engine.store.db import Database
from engine.store.migrate import current_revision, head_revision, migrate


async def _fresh(url: str) -> Database:
    return Database(url)


async def test_migrations_reach_head_and_match_the_tables(tmp_path, pg_url):
    import engine.store.tables  # noqa: F401 - registers its tables with SQLModel.metadata

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


async def test_firing_set_survives_a_downgrade_and_an_upgrade(tmp_path, pg_url):
    """The incident firing column is dropped on upgrade and rebuilt from the alerts on downgrade."""
    from alembic import command
    from sqlalchemy import text

    from engine.alerts import repo
    from engine.store.migrate import alembic_config

    for url in (f"sqlite:///{tmp_path / 'f.db'}", pg_url):
        db = Database(url)
        await migrate(db)
        t = "2026-11-27 10:00:00+00:00"
        async with db.session() as s:
            await s.execute(text(
                "INSERT INTO alerts_incident (id, status, title, severity, channel, opened_at, "
                "last_activity_at, group_keys, services, corr_keys, alertnames, inhibitors, alert_count, "
                "reopen_count, flaps, posted, silences, thread_seq) VALUES (7, 'open', 't', '', 'ops', "
                f"'{t}', '{t}', '{{}}', '{{}}', '{{}}', '[]', '{{}}', 2, 0, 0, false, '[]', 0)"))
            for fp, status in (("a1", "firing"), ("a2", "resolved")):
                await s.execute(text(
                    "INSERT INTO alerts_alert (fingerprint, source, status, alertname, labels, annotations, "
                    "starts_at, first_seen_at, last_seen_at, group_key, incident_id, deliveries, flaps, "
                    f"repeat_resolves, last_decision, last_reason) VALUES ('{fp}', 'am', '{status}', 'X', "
                    f"'{{}}', '{{}}', '{t}', '{t}', '{t}', 'g1', 7, 1, 0, 0, 'new', '')"))
        async with db.session() as s:
            inc = await repo.load_incident(s, 7)
        assert inc.firing == {"a1": "g1"} and inc.fires_group("g1")
        await db.run_sync(lambda conn: command.downgrade(alembic_config(conn), "b7ae1b5b2d6d"))
        async with db.session() as s:
            stored = (await s.execute(text("SELECT firing FROM alerts_incident WHERE id = 7"))).scalar_one()
        assert (stored if isinstance(stored, dict) else __import__("json").loads(stored)) == {"a1": "g1"}
        await migrate(db)
        assert await current_revision(db) == head_revision()
        await db.dispose()


async def test_postgres_sessions_compress_with_lz4_where_the_server_has_it(pg_url):
    from sqlalchemy import text

    db = Database(pg_url)
    try:
        async with db.session() as s:
            has_lz4 = (await s.execute(text(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"))).scalar()
            used = (await s.execute(text("SHOW default_toast_compression"))).scalar()
        assert has_lz4, "Debian's PostgreSQL is built with lz4; this test expects it"
        assert used == "lz4"
    finally:
        await db.dispose()


async def test_incident_sources_are_filled_from_their_alerts_on_upgrade(tmp_path, pg_url):
    """Incidents written before revision 348eeeef9eff learn their alerts' sources on upgrade."""
    from alembic import command
    from sqlalchemy import text

    from engine.alerts import repo
    from engine.store.migrate import alembic_config

    for url in (f"sqlite:///{tmp_path / 's.db'}", pg_url):
        db = Database(url)
        await migrate(db)
        await db.run_sync(lambda conn: command.downgrade(alembic_config(conn), "b83f99bf7d51"))
        t = "2026-11-27 10:00:00+00:00"
        async with db.session() as s:
            for inc_id in (8, 9):  # as the previous release inserts them: no sources column
                await s.execute(text(
                    "INSERT INTO alerts_incident (id, status, title, severity, channel, opened_at, "
                    "last_activity_at, group_keys, services, corr_keys, alertnames, inhibitors, alert_count, "
                    "reopen_count, flaps, posted, silences, thread_seq) VALUES "
                    f"({inc_id}, 'open', 't', '', 'ops', '{t}', '{t}', '{{}}', '{{}}', '{{}}', '[]', '{{}}', 1, "
                    "0, 0, false, '[]', 0)"))
            for fp, source, inc_id in (("a1", "alertmanager", 8), ("a2", "anomaly", 8), ("a3", "anomaly", 8)):
                await s.execute(text(
                    "INSERT INTO alerts_alert (fingerprint, source, status, alertname, labels, annotations, "
                    "starts_at, first_seen_at, last_seen_at, group_key, incident_id, deliveries, flaps, "
                    f"repeat_resolves, last_decision, last_reason) VALUES ('{fp}', '{source}', 'firing', 'X', "
                    f"'{{}}', '{{}}', '{t}', '{t}', '{t}', 'g1', {inc_id}, 1, 0, 0, 'new', '')"))
        await migrate(db)
        async with db.session() as s:
            with_alerts, without = await repo.load_incident(s, 8), await repo.load_incident(s, 9)
        assert with_alerts.sources == ["alertmanager", "anomaly"] and without.sources == []
        await db.dispose()
