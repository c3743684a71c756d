"""Autogenerate an Alembic revision from the SQLModel tables: `python scripts/new_migration.py "message"`."""

from __future__ import annotations

import sys
import tempfile

from alembic import command
from sqlalchemy import create_engine

from engine.store.migrate import alembic_config


def main() -> None:
    """Diff the tables against a scratch database at head and write a new revision."""
    message = sys.argv[1] if len(sys.argv) > 1 else "schema change"
    with tempfile.TemporaryDirectory() as tmp:
        eng = create_engine(f"sqlite:///{tmp}/scratch.db")
        with eng.begin() as conn:
            cfg = alembic_config(conn)
            command.upgrade(cfg, "head")
            command.revision(cfg, message=message, autogenerate=True)


if __name__ == "__main__":
    main()
