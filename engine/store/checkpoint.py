"""Copy SQLite's write-ahead log back into the database in a background thread.

By default the commit that makes the WAL pass 1,000 pages also checkpoints it, inside the
writer's transaction: under sustained ingest that was about a third of all SQLite time, paid
while every other writer waited. Here a thread with its own connection runs PASSIVE
checkpoints (they never block writers or readers) on the other core; the automatic checkpoint
stays as a backstop at a much larger size, in case this thread is not running.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from urllib.parse import quote

log = logging.getLogger("opsbot.store")
BACKSTOP_PAGES = 20_000  # wal_autocheckpoint while the thread runs (about 80 MB of WAL)
INTERVAL_S = 0.25


class Checkpointer:
    """A daemon thread checkpointing one SQLite file until stopped."""

    def __init__(self, path: str, interval_s: float = INTERVAL_S) -> None:
        self.path, self.interval_s = path, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="opsbot-sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = None
        try:
            # mode=rw: never create the file again if it was deleted while we ran.
            conn = sqlite3.connect(f"file:{quote(self.path)}?mode=rw", uri=True, timeout=1,
                                   check_same_thread=False)
            while not self._stop.wait(self.interval_s):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.OperationalError:  # busy with another checkpoint: next time
                    continue
        except sqlite3.Error as exc:
            log.info("sqlite checkpoint thread stopped: %s", exc)
        finally:
            if conn is not None:
                conn.close()

    def stop(self) -> None:
        """Stop the thread and wait for it."""
        self._stop.set()
        self._thread.join(timeout=5)
