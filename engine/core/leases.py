"""Database leases: a named job runs on exactly one replica at a time and moves to another
within the lease's time-to-live when its holder dies."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Column, DateTime, String, case, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel, select

from engine.core.clock import Clock, utc
from engine.store.db import Database


class Lease(SQLModel, table=True):
    """Who holds a named lease until when; `token` increases on every change of holder."""

    __tablename__ = "lease"

    name: str = Field(sa_column=Column(String(100), primary_key=True))
    owner: str = Field(sa_column=Column(String(100), nullable=False))
    token: int = 0
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Leases:
    """Acquire, renew and release leases by compare-and-set on one row per name."""

    def __init__(self, db: Database, clock: Clock, owner: str) -> None:
        self.db = db
        self.clock = clock
        self.owner = owner

    async def acquire(self, name: str, ttl_s: float) -> int | None:
        """Take or renew the lease; return its fencing token, or None when another holds it."""
        now = self.clock.now()
        expires = now + timedelta(seconds=ttl_s)
        ins = pg_insert if not self.db.is_sqlite else sqlite_insert
        async with self.db.session() as s:
            await s.execute(ins(Lease).values(name=name, owner=self.owner, token=1,
                                              expires_at=expires).on_conflict_do_nothing())
            result = await s.execute(
                update(Lease)
                .where(Lease.name == name, (Lease.owner == self.owner) | (Lease.expires_at < now))
                .values(owner=self.owner, expires_at=expires,
                        token=case((Lease.owner == self.owner, Lease.token), else_=Lease.token + 1))
            )
            if result.rowcount != 1:
                return None
            row = (await s.execute(select(Lease.token).where(Lease.name == name))).scalar_one()
            return int(row)

    async def release(self, name: str) -> None:
        """Give the lease up at once so another replica can take it without waiting."""
        async with self.db.session() as s:
            await s.execute(update(Lease).where(Lease.name == name, Lease.owner == self.owner)
                            .values(expires_at=datetime(1970, 1, 1, tzinfo=self.clock.now().tzinfo)))

    async def bump(self, name: str) -> None:
        """Increase a counter row (a wake-up request other replicas can see); never a lease."""
        ins = pg_insert if not self.db.is_sqlite else sqlite_insert
        now = self.clock.now()
        async with self.db.session() as s:
            await s.execute(ins(Lease).values(name=name, owner="-", token=1, expires_at=now)
                            .on_conflict_do_update(index_elements=[Lease.name],
                                                   set_={"token": Lease.token + 1, "expires_at": now}))

    async def counter(self, name: str) -> int:
        """Return a counter row's value (0 when it was never bumped)."""
        async with self.db.session() as s:
            value = (await s.execute(select(Lease.token).where(Lease.name == name))).scalar_one_or_none()
            return int(value or 0)

    async def holder(self, name: str) -> tuple[str, datetime] | None:
        """Return (owner, expires_at) of a lease, if it exists."""
        async with self.db.session() as s:
            row = await s.get(Lease, name)
            return (row.owner, utc(row.expires_at)) if row else None


