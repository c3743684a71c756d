"""Every SQLite connection gets the pragmas the ingest path was measured with."""

from __future__ import annotations

from sqlalchemy import text

from engine.store.db import CACHE_KIB, Database


async def test_sqlite_connections_use_wal_and_the_larger_page_cache(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
            # Negative: a size in KiB, not pages (a storm's transaction fits without spilling).
            assert (await conn.execute(text("PRAGMA cache_size"))).scalar_one() == -CACHE_KIB
    finally:
        await db.dispose()
