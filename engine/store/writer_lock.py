"""One SQLite writer at a time across processes, queued on flock instead of busy-wait sleeps.

Every SQLite transaction here begins with BEGIN IMMEDIATE (it takes the write lock). When the
lock is taken, SQLite's busy handler sleeps 1, 2, 5, 10 ... 100 ms between retries, so with
several processes writing (`opsbot serve --workers N`) a waiting writer sleeps through most of
the time the lock is free and latency grows to seconds. Here a connection first queues on an
in-process asyncio lock, then on an flock of a side file (blocking in a thread, so the event
loop never waits), and only then issues BEGIN IMMEDIATE, which then succeeds at once. The lock
is held until the connection returns to the pool, i.e. after COMMIT or ROLLBACK.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
from typing import Any, Callable

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.util import await_only


class WriterLock:
    """A cross-process writer queue for one SQLite file."""

    def __init__(self, path: str, timeout_s: float = 10.0) -> None:
        self.path, self.timeout_s = path, timeout_s
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self._held: dict[int, tuple[int, asyncio.Lock]] = {}  # id(DBAPI connection) -> (fd, lock)

    def install(self, engine: Engine) -> Callable[[Any], None]:
        """Release on pool check-in and invalidation; return the `begin` event handler."""
        event.listen(engine, "checkin", lambda dbapi_conn, _rec: self._release(dbapi_conn))
        event.listen(engine, "invalidate", lambda dbapi_conn, _rec, _exc: self._release(dbapi_conn))

        def begin(conn: Any) -> None:
            key = id(conn.connection.dbapi_connection)
            if key not in self._held:  # a second transaction on a checked-out connection holds it already
                await_only(self._acquire(key))  # we run inside SQLAlchemy's greenlet: may await
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return begin

    async def _acquire(self, key: int) -> None:
        loop = asyncio.get_running_loop()
        lock = self._locks.setdefault(loop, asyncio.Lock())
        try:
            await asyncio.wait_for(lock.acquire(), self.timeout_s)
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked (writer queue timeout)") from None
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except BaseException:
            lock.release()
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fut = loop.run_in_executor(None, fcntl.flock, fd, fcntl.LOCK_EX)
            try:
                await asyncio.wait_for(asyncio.shield(fut), self.timeout_s)
            except BaseException as exc:
                # The thread may still get the lock later: closing the file then releases it.
                fut.add_done_callback(lambda _f: os.close(fd))
                lock.release()
                if isinstance(exc, TimeoutError):
                    raise sqlite3.OperationalError("database is locked (writer queue timeout)") from None
                raise
        except BaseException:  # flock itself failed (not "would block")
            os.close(fd)
            lock.release()
            raise
        self._held[key] = (fd, lock)

    def _release(self, dbapi_conn: Any) -> None:
        held = self._held.pop(id(dbapi_conn), None)
        if held is not None:
            fd, lock = held
            os.close(fd)  # closing the descriptor drops the flock
            lock.release()
