"""Replica identity: a display name (OPSBOT_REPLICA_ID or the host name) plus a random nonce
per process, and a presence row per live process so a reused display name is seen at once."""

from __future__ import annotations

import logging
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col, select

from engine.core.clock import Clock, utc
from engine.core.leases import Lease
from engine.store.db import Database

log = logging.getLogger("opsbot.replicas")

PRESENCE = "replica:"  # lease-table rows named replica:<identity>, renewed by each live process
SEP = "#"  # display name and nonce; a display name keeps its own '#'s, the nonce has none


def replica_identity(configured: str | None) -> str:
    """Return this process's lease owner: the display name plus a nonce no other process shares.

    Without a configured name the identity is the host name and a nonce, which is its own
    display name: two such processes on one host are not a clash worth shouting about.
    """
    nonce = uuid.uuid4().hex[:12]
    display = (configured or "").strip()
    return f"{display[:80]}{SEP}{nonce}" if display else f"{socket.gethostname()[:80]}-{nonce}"


def display_name(identity: str) -> str:
    """Return the display part of an identity (what OPSBOT_REPLICA_ID said)."""
    return identity.rpartition(SEP)[0] or identity


@dataclass(frozen=True)
class LiveReplica:
    """One process that announced itself within the presence TTL."""

    identity: str
    display: str
    seen_until: datetime


async def live_replicas(db: Database, now: datetime) -> list[LiveReplica]:
    """Return the processes whose presence has not expired, oldest identity first."""
    async with db.session() as s:
        rows = (await s.exec(select(Lease).where(Lease.name.startswith(PRESENCE)))).all()
    out = [LiveReplica(r.owner, display_name(r.owner), utc(r.expires_at)) for r in rows
           if utc(r.expires_at) > now]
    return sorted(out, key=lambda r: r.identity)


def shared_names(replicas: list[LiveReplica]) -> dict[str, list[str]]:
    """Return display names announced by more than one live process, with their identities."""
    by_name: dict[str, list[str]] = {}
    for r in replicas:
        by_name.setdefault(r.display, []).append(r.identity)
    return {name: ids for name, ids in by_name.items() if len(ids) > 1}


class Presence:
    """Announces this process every few seconds and warns loudly when its name is shared."""

    def __init__(self, db: Database, clock: Clock, identity: str, ttl_s: float = 15.0) -> None:
        self.db, self.clock, self.identity, self.ttl_s = db, clock, identity, ttl_s
        self.every_s = ttl_s / 3
        self._next = 0.0
        self.shared: list[str] = []  # other live identities with our display name, last seen

    async def beat(self) -> None:
        """Renew this process's presence row (throttled) and check who else uses its name."""
        if time.monotonic() < self._next:
            return
        self._next = time.monotonic() + self.every_s
        now = self.clock.now()
        name = (PRESENCE + self.identity)[:100]
        async with self.db.session() as s:
            row = await s.get(Lease, name)
            if row is None:
                s.add(Lease(name=name, owner=self.identity, token=1, expires_at=now + timedelta(seconds=self.ttl_s)))
            else:
                row.expires_at = now + timedelta(seconds=self.ttl_s)
                s.add(row)
            # Dead processes' rows are swept by whoever beats next, so the table stays small.
            await s.execute(delete(Lease).where(col(Lease.name).startswith(PRESENCE),
                                                col(Lease.expires_at) < now - timedelta(seconds=self.ttl_s * 4)))
        mine = display_name(self.identity)
        others = [r.identity for r in await live_replicas(self.db, now)
                  if r.display == mine and r.identity != self.identity]
        if others and others != self.shared:
            # Leases stay correct (each process owns them under its nonce), but two deployments
            # with one name make logs, /readyz and `opsbot check` ambiguous: say so loudly.
            log.error("REPLICA ID %r IS USED BY ANOTHER LIVE PROCESS (%s); give each replica its own "
                      "OPSBOT_REPLICA_ID", mine, ", ".join(others), extra={"replica": self.identity})
        self.shared = others

    async def withdraw(self) -> None:
        """Remove this process's presence row on a clean stop."""
        async with self.db.session() as s:
            await s.execute(delete(Lease).where(col(Lease.name) == (PRESENCE + self.identity)[:100]))
