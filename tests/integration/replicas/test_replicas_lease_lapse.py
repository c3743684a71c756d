"""A replica that can no longer renew a job's lease (PostgreSQL unreachable, loop stalled) stops
the job's run before the lease can pass to another replica: two replicas never run it at once."""

from __future__ import annotations

import asyncio
import time

import pytest

from engine.core.clock import SystemClock
from engine.core.leases import Leases
from engine.core.scheduler import Scheduler
from engine.store.db import Database

pytestmark = pytest.mark.postgres

TTL_S = 2.0


class PartitionedLeases(Leases):
    """Leases whose database round trips hang while `reachable` is clear: a network partition."""

    def __init__(self, db: Database, owner: str) -> None:
        super().__init__(db, SystemClock(), owner)
        self.reachable = asyncio.Event()
        self.reachable.set()

    async def acquire(self, name: str, ttl_s: float) -> int | None:
        """Hang like a query on a dead connection, then acquire for real."""
        await self.reachable.wait()
        return await super().acquire(name, ttl_s)


async def test_a_partitioned_holder_stops_its_run_before_the_lease_moves(lease_db):
    running: set[str] = set()
    overlaps: list[tuple[str, set[str]]] = []
    changes: list[tuple[str, str, bool]] = []

    def job_for(owner: str):
        async def long_drain(_now) -> None:  # e.g. an outbox drain working through a backlog
            running.add(owner)
            try:
                for _ in range(200):
                    if running - {owner}:
                        overlaps.append((owner, set(running)))
                    await asyncio.sleep(0.05)
            finally:
                running.discard(owner)
        return long_drain

    replicas = {}
    for owner in ("a", "b"):
        leases = PartitionedLeases(lease_db, owner)
        sched = Scheduler(leases, tick_s=0.1, ttl_s=TTL_S,
                          on_lease_change=lambda job, held, o=owner: changes.append((o, job, held)))
        sched.add("drain", 0.0, job_for(owner))
        replicas[owner] = (leases, sched)
    a_leases, a = replicas["a"]
    _, b = replicas["b"]
    a.start()
    while "a" not in running:
        await asyncio.sleep(0.02)
    b.start()
    await asyncio.sleep(0.5)
    assert running == {"a"}  # b waits while a renews

    a_leases.reachable.clear()  # a can no longer reach the database; its run is mid-way
    cut = time.monotonic()
    while "b" not in running:
        assert time.monotonic() - cut < TTL_S + 3, "the lease never moved to b"
        await asyncio.sleep(0.02)
    moved_after = time.monotonic() - cut
    await asyncio.sleep(0.5)

    assert overlaps == [], overlaps  # a's run ended before b's began
    assert a.jobs["drain"].lapses == 1 and not a.jobs["drain"].held
    assert ("a", "drain", False) in changes and ("b", "drain", True) in changes
    assert moved_after <= TTL_S + 1.0
    a_leases.reachable.set()  # the partition heals: a sees b's lease and stays off
    await asyncio.sleep(0.5)
    assert running == {"b"} and overlaps == []
    await b.stop()
    await a.stop()
