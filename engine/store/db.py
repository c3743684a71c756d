"""Database access: one async SQLAlchemy engine per process, SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Callable, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.errors import Unavailable

T = TypeVar("T")

DEFAULT_SQLITE_PATH = Path(".opsbot/opsbot.db")


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
    cur.close()
    dbapi_conn.isolation_level = None  # let _sqlite_begin_immediate issue BEGIN itself


class Database:
    """The store's connection pool; hands out sessions and reports its dialect."""

    def __init__(self, url: str | None = None, *, echo: bool = False) -> None:
        self.url = normalize_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 10}
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin_immediate)
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
            raise Unavailable(f"database {self.safe_url} is not reachable: {exc}",
                              hint="check OPSBOT_DATABASE_URL") from exc

    @property
    def safe_url(self) -> str:
        """Return the URL with the password hidden, for logs and messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
