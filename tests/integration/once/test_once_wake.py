"""Waking a leased job: a wake-up from any replica makes the lease holder run the job at once,
the job never runs on the replica that asked, and a wake-up during a run gives one more run."""

from __future__ import annotations

import asyncio
import time

import pytest

from engine.core.clock import SystemClock
from engine.core.leases import Leases
from engine.core.replicas import replica_identity
from engine.core.scheduler import Scheduler

pytestmark = pytest.mark.postgres


async def _until(predicate, timeout: float = 5.0) -> float:
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < timeout, "timed out"
        await asyncio.sleep(0.02)
    return time.monotonic() - start


async def test_a_wake_from_another_replica_runs_the_job_on_the_holder(lease_db):
    runs: list[str] = []
    gate = asyncio.Event()
    gate.set()

    def job_for(owner: str):
        async def watch(_now) -> None:
            runs.append(owner)
            await gate.wait()
        return watch

    scheds = {}
    for owner in ("a", "b"):  # one configured name on both: identities still differ
        s = Scheduler(Leases(lease_db, SystemClock(), replica_identity("same")), tick_s=0.2, ttl_s=4.0)
        s.add("models-watch", 3600.0, job_for(owner), wakeable=True)
        scheds[owner] = s
    scheds["a"].start()
    await _until(lambda: runs == ["a"])  # a holds the lease and ran once at start
    scheds["b"].start()
    await asyncio.sleep(0.5)
    try:
        assert not scheds["b"].jobs["models-watch"].held
        assert await scheds["b"].wake("models-watch") is False  # b asks; a runs
        took = await _until(lambda: runs == ["a", "a"])
        assert took < 1.5  # a tick or so, not the hour-long interval
        gate.clear()  # the next run blocks: wake-ups during it give exactly one more run
        await scheds["a"].wake("models-watch")
        await _until(lambda: len(runs) == 3)
        for _ in range(3):
            await scheds["b"].wake("models-watch")
        await asyncio.sleep(0.5)
        assert len(runs) == 3  # still the one blocked run
        gate.set()
        await _until(lambda: len(runs) == 4)
        await asyncio.sleep(0.6)
        assert runs == ["a"] * 4
    finally:
        gate.set()
        await asyncio.gather(*(s.stop() for s in scheds.values()))
