"""Database access: one async SQLAlchemy engine per process, SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Callable, TypeVar

from sqlalchemy import Table, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.errors import Unavailable
from engine.store.checkpoint import BACKSTOP_PAGES, Checkpointer
from engine.store.writer_lock import WriterLock

T = TypeVar("T")

DEFAULT_SQLITE_PATH = Path(".opsbot/opsbot.db")
MMAP_BYTES = 256 * 1024 * 1024
CACHE_KIB = 32 * 1024  # SQLite's page cache per connection (its default is 2 MiB)


def normalize_url(url: str | None) -> str:
    """Return an async driver URL for SQLite (aiosqlite) or PostgreSQL (asyncpg)."""
    if not url:
        DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH}"
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}: use sqlite:/// or postgresql://")


def _sqlite_begin_immediate(conn: Any) -> None:
    # A deferred transaction that reads, then writes, fails at once with "database is locked"
    # when another connection wrote meanwhile (SQLite cannot wait there without deadlocking).
    # Taking the write lock at BEGIN makes writers queue on busy_timeout instead.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; busy_timeout makes writers queue
    # instead of failing with "database is locked" when two replicas share a file.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    # The Checkpointer thread keeps the WAL short; commits checkpoint only as a backstop.
    cur.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
    # Another process's commit empties this connection's page cache; with the file mapped,
    # refilling it is a memory read instead of a pread per page (several workers on one file).
    cur.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    # A storm's transaction dirties hundreds of index pages (random fingerprints); past the
    # default 2 MiB cache SQLite spills them to the WAL mid-transaction and writes them again at
    # commit. 32 MiB cut the writer thread's CPU per 100-alert storm batch by about a tenth
    # (bench_ingest_cpu.py). It is a bound, not an allocation: a reader's cache stays small.
    cur.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    cur.close()
    dbapi_conn.isolation_level = None  # let _sqlite_begin_immediate issue BEGIN itself


def _postgres_session(dbapi_conn: Any, _record: Any) -> None:
    # Large values (webhook bodies, a storm's incident JSON) are compressed on every write;
    # lz4 does it several times faster than PostgreSQL's default pglz. A server built without
    # lz4 (or older than 14) has no such choice and keeps its default.
    cur = dbapi_conn.cursor()
    cur.execute("SELECT set_config('default_toast_compression', 'lz4', false) FROM pg_settings "
                "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)")
    cur.close()


PING_IDLE_S = 1.0  # a pooled PostgreSQL connection idle this long is pinged before use


def _checked_in(_dbapi_conn: Any, record: Any) -> None:
    record.info["opsbot.idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
    # SQLAlchemy's pool_pre_ping costs three round trips (BEGIN, an empty query, ROLLBACK) on
    # every checkout: under a storm, a tenth of a transaction's statements. A connection handed
    # back moments ago has just answered; only one that sat idle (a server restart, a dropped
    # link) is checked. A failed ping makes the pool replace the connection, as pre-ping did.
    since = record.info.get("opsbot.idle_since")
    if since is None or time.monotonic() - since < PING_IDLE_S:
        return  # just connected, or just used
    try:
        dbapi_conn.ping()
    except Exception as exc:  # any failure: this connection is not usable
        raise DisconnectionError(f"pooled connection failed its ping: {first_line(exc)}") from exc


def _sqlite_path(url: str) -> str | None:
    db = make_url(url).database
    return None if not db or db == ":memory:" or db.startswith("file:") else db


def table_of(model: type[SQLModel]) -> Table:
    """Return the SQL table a `table=True` model maps to, typed (its `__table__`)."""
    # SQLModel sets __table__ on table models without declaring it, so mypy cannot see it.
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


def first_line(exc: BaseException) -> str:
    """Return the driver's own one-line reason for a database error (no SQL, no traceback)."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip() or type(orig).__name__
    return text.splitlines()[0]


def database_problem(exc: BaseException) -> Unavailable | None:
    """Return a one-line Unavailable for a failure to reach or read the database, else None."""
    from sqlalchemy.exc import SQLAlchemyError

    driver = type(exc).__module__.split(".")[0] in ("asyncpg", "sqlite3", "aiosqlite")
    if not isinstance(exc, (OSError, TimeoutError, SQLAlchemyError)) and not driver:
        return None
    line = first_line(exc)
    if "no such table" in line or "does not exist" in line and "relation" in line:
        return Unavailable(f"the database has no Opsbot tables ({line})", hint="run `opsbot migrate` first")
    return Unavailable(f"cannot use the database: {line}",
                       hint="check OPSBOT_DATABASE_URL and that the database is up")


class Database:
    """The store's connection pool; hands out sessions and reports its dialect."""

    def __init__(self, url: str | None = None, *, echo: bool = False) -> None:
        self.url = normalize_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 10}
        else:
            kwargs.update(pool_size=10, max_overflow=20)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if not self.is_sqlite:
            event.listen(self.engine.sync_engine.pool, "checkin", _checked_in)
            event.listen(self.engine.sync_engine.pool, "checkout", _ping_if_idle)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            path = _sqlite_path(self.url)
            begin = _sqlite_begin_immediate
            if path is not None:
                # Writers queue on a lock instead of SQLite's busy handler, which sleeps (1, 2,
                # 5 ... 100 ms) and retries: under load a waiting process slept through most
                # of the time the lock was free (see engine/store/writer_lock.py).
                begin = WriterLock(path + ".writer-lock").install(self.engine.sync_engine)
            event.listen(self.engine.sync_engine, "begin", begin)
        else:
            event.listen(self.engine.sync_engine, "connect", _postgres_session)
        self._checkpointer: Checkpointer | None = None
        self._sqlite_file = _sqlite_path(self.url) if self.is_sqlite else None
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """Return 'sqlite' or 'postgresql'."""
        return make_url(self.url).get_backend_name()

    @property
    def is_sqlite(self) -> bool:
        """Return True when the store is SQLite."""
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """Yield a session; commit on success, roll back on error."""
        if self._sqlite_file is not None and self._checkpointer is None:
            self.start_checkpoints()
        async with self._sessions() as s:
            try:
                yield s
                await s.commit()
            except BaseException:
                await s.rollback()
                raise

    async def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Run fn(sync_connection, *args) inside one transaction."""
        async with self.engine.begin() as conn:
            return await conn.run_sync(fn, *args)

    async def ping(self, timeout: float = 5.0) -> None:
        """Check the database answers, raising Unavailable with the reason if not."""
        try:
            async with asyncio.timeout(timeout):
                async with self.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means "not reachable" to the caller
            raise Unavailable(f"database {self.safe_url} is not reachable: {first_line(exc)}",
                              hint="check OPSBOT_DATABASE_URL and that the database is up") from exc

    @property
    def safe_url(self) -> str:
        """Return the URL with the password hidden, for logs and messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    def start_checkpoints(self) -> None:
        """Checkpoint SQLite's WAL in a background thread from now on (no-op on PostgreSQL)."""
        if self._sqlite_file is not None and self._checkpointer is None:
            self._checkpointer = Checkpointer(self._sqlite_file)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        await self.engine.dispose()
