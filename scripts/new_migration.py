"""Autogenerate an Alembic revision from the SQLModel tables.

`python scripts/new_migration.py "message"` adds a revision on top of head;
`python scripts/new_migration.py --reset` rewrites the single initial revision (only while no
release has shipped a schema: a deployed database must only ever see added revisions).
"""

from __future__ import annotations

import fcntl
import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from engine.store.migrate import MIGRATIONS_DIR, alembic_config


def main() -> None:
    """Diff the tables against a scratch database at head and write a new revision."""
    reset = "--reset" in sys.argv
    words = [a for a in sys.argv[1:] if a != "--reset"]
    message = words[0] if words else ("initial schema" if reset else "schema change")
    lock = open(Path(tempfile.gettempdir()) / "opsbot-new-migration.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)  # helpers may regenerate at the same time
    if reset:
        for old in (MIGRATIONS_DIR / "versions").glob("*.py"):
            old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        eng = create_engine(f"sqlite:///{tmp}/scratch.db")
        with eng.begin() as conn:
            cfg = alembic_config(conn)
            command.upgrade(cfg, "head")
            command.revision(cfg, message=message, autogenerate=True)


if __name__ == "__main__":
    main()
