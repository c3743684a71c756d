"""Bulk statements on the session's own driver connection, inside its transaction.

The alert ingest hot path writes hundreds of rows per transaction (and the outbox a few). Going through SQLAlchemy costs a
statement build, a compile-cache lookup and per-value bind processing for every call; here the
SQL is written once per dialect and rows are plain tuples handed to the driver's executemany
(sqlite3 loops in C; asyncpg pipelines the whole set in one round trip).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable, Sequence

import orjson
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

# SQLAlchemy stores SQLite datetimes as text in its own layout; reads parse that layout back,
# so raw writes must use the very same bind processor.
_SQLITE_BIND = DateTime(timezone=True).dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
assert _SQLITE_BIND is not None, "SQLAlchemy binds SQLite datetimes through a processor"
_SQLITE_DT: Callable[[Any], str] = _SQLITE_BIND


@lru_cache(maxsize=16384)
def _sqlite_ts(dt: datetime) -> str:
    # A storm repeats a few timestamps (batch time, shared startsAt) across many rows.
    return _SQLITE_DT(dt)


@lru_cache(maxsize=256)
def _numbered(sql: str) -> str:
    """Turn qmark placeholders into asyncpg's $1, $2, ... (no '?' appears in our literals)."""
    counter = iter(range(1, 1_000_000))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


def json_rows_sql(sql: str, table: Any, fields: Sequence[str]) -> str:
    """Rewrite `INSERT INTO t (cols) VALUES (?, ...) rest` as one PostgreSQL statement over a JSON array.

    The rows travel as one jsonb parameter (`Bulk.insert_many` serializes them with orjson) and
    the server takes them apart: asyncpg's per-value encoding of one array per column cost about
    7 µs of the event loop per alert row, orjson about 1 (the server's share grows by less than
    that). Lengths are left out of the casts so that a value too long still fails the insert
    instead of being cut; JSON columns travel as their text, stored exactly as sent.
    """
    from sqlalchemy import JSON
    from sqlalchemy.dialects import postgresql

    make: Any = postgresql.dialect  # untyped in SQLAlchemy's stubs
    pg = make()
    head, _, rest = sql.partition(" VALUES (")
    rest = rest.partition(")")[2]
    cols = []
    for i, f in enumerate(fields):
        typ = table.c[f].type
        cast = "json" if isinstance(typ, JSON) else re.sub(r"\(\d+\)", "", typ.compile(dialect=pg))
        cols.append(f"(e->>{i})::{cast}")
    return f"{head} SELECT {', '.join(cols)} FROM jsonb_array_elements($1::jsonb) AS e{rest}"


def js(value: Any) -> str:
    """Serialize a JSON column value (both drivers take the text)."""
    return orjson.dumps(value).decode()


def json_rows(rows: Sequence[Sequence[Any]]) -> str:
    """Serialize rows for a json_rows_sql statement (times as RFC 3339; naive ones are UTC, as asyncpg takes them)."""
    return orjson.dumps(rows, option=orjson.OPT_NAIVE_UTC).decode()


_BULK = "opsbot.bulk"  # Session.info key: (its transaction, its Bulk)


class Bulk:
    """The driver connection under a session, with qmark SQL that runs on either dialect."""

    def __init__(self, driver: Any, dialect: str) -> None:
        self.driver, self.dialect = driver, dialect
        self.pg = dialect == "postgresql"
        # Converted times by object: a commit's rows share a few (its `now`, a storm's startsAt).
        # The entry holds the datetime, so its id cannot be reused while cached.
        self._seen: dict[int, tuple[datetime, Any]] = {}

    @classmethod
    async def of(cls, s: AsyncSession) -> "Bulk":
        """Return the bulk helper for a session, its transaction begun."""
        # One per session transaction: a storm's transaction asks about ten times (lock, batches,
        # rows, decisions, outbox), and each `s.connection()` is a greenlet round of SQLAlchemy's.
        # A later transaction of the session may hold another pooled connection: never reused.
        tx = s.sync_session.get_transaction()
        got = s.info.get(_BULK)
        if got is not None and tx is not None and got[0] is tx and tx.is_active:
            bulk: Bulk = got[1]
            return bulk
        conn = await s.connection()
        raw = await conn.get_raw_connection()
        adapted: Any = raw.dbapi_connection
        if getattr(adapted, "_transaction", False) is None and adapted.isolation_level != "autocommit":
            # asyncpg: SQLAlchemy begins lazily, at its first statement; a raw statement before
            # that would run outside the transaction. Begin it the way that first statement would.
            await adapted._start_transaction()
        bulk = cls(raw.driver_connection, conn.dialect.name)
        s.info[_BULK] = (s.sync_session.get_transaction(), bulk)
        return bulk

    def ts(self, dt: datetime | None) -> Any:
        """Convert a datetime the way SQLAlchemy would bind it."""
        if dt is None or self.pg:
            return dt
        got = self._seen.get(id(dt))
        if got is not None and got[0] is dt:
            return got[1]
        value = _sqlite_ts(dt.astimezone(timezone.utc) if dt.utcoffset() else dt)
        if len(self._seen) < 4096:
            self._seen[id(dt)] = (dt, value)  # SQLite keeps no zone and reads back as UTC: store UTC fields
        return value

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
        """Run one statement and return its rows."""
        if self.pg:
            rows: list[Sequence[Any]] = await self.driver.fetch(_numbered(sql), *params)
            return rows
        return list(await self.driver.execute_fetchall(sql, params))

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement without rows."""
        if self.pg:
            await self.driver.execute(_numbered(sql), *params)
        else:
            await self.driver.execute(sql, params)

    async def insert_many(self, sql: str, pg_sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows: executemany of `sql` on SQLite, one `pg_sql` (json_rows_sql) on PostgreSQL."""
        if not rows:
            return
        if self.pg:
            await self.driver.execute(pg_sql, json_rows(rows))
        else:
            await self.driver.executemany(sql, rows)

    async def executemany(self, sql: str, rows: list[Sequence[Any]]) -> None:
        """Run one statement for every row of parameters."""
        if not rows:
            return
        if self.pg:
            await self.driver.executemany(_numbered(sql), rows)
        else:
            await self.driver.executemany(sql, rows)
