"""Apply Alembic migrations, serialized across replicas by a PostgreSQL advisory lock."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from engine.store.db import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Arbitrary but fixed: every replica and every `opsbot migrate` Job takes the same lock.
ADVISORY_LOCK_ID = 0x0B5B07


def alembic_config(connection: Connection | None = None) -> Config:
    """Return an Alembic config pointing at our migrations, bound to a connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK_ID})
    command.upgrade(alembic_config(connection), revision)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def migrate(db: Database, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: the newest)."""
    await db.run_sync(_upgrade, revision)


async def current_revision(db: Database) -> str | None:
    """Return the schema revision the database is at."""
    return await db.run_sync(_current)


def head_revision() -> str | None:
    """Return the newest revision this release knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
