"""Periodic jobs, each under its own database lease so one replica runs it at a time."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable

from engine.leases import Leases

log = logging.getLogger("opsbot.scheduler")

JobFn = Callable[[datetime], Awaitable[None]]
LeaseListener = Callable[[str, bool], None]


@dataclass
class Job:
    """A named periodic job: what to run and how often."""

    name: str
    interval_s: float
    fn: JobFn
    held: bool = False
    last_run: float | None = None  # monotonic time of the last start; None runs at once
    runs: int = 0
    failures: int = 0


class Scheduler:
    """Runs registered jobs on this replica while it holds each job's lease."""

    def __init__(self, leases: Leases, *, tick_s: float = 1.0, ttl_s: float = 10.0,
                 on_lease_change: LeaseListener | None = None) -> None:
        self.leases = leases
        self.tick_s = tick_s
        self.ttl_s = ttl_s
        self.jobs: dict[str, Job] = {}
        self.on_lease_change = on_lease_change
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()
        self._running: dict[str, asyncio.Task] = {}

    def add(self, name: str, interval_s: float, fn: JobFn) -> None:
        """Register a job; names are unique across the deployment."""
        if name in self.jobs:
            raise ValueError(f"job {name!r} registered twice")
        self.jobs[name] = Job(name, interval_s, fn)

    def start(self) -> None:
        """Start the scheduling loop in the background."""
        self._task = asyncio.create_task(self._loop(), name="opsbot-scheduler")

    async def stop(self) -> None:
        """Stop the loop, wait for running jobs, and release held leases."""
        # Ask the loop to finish its tick rather than cancelling it: a cancel landing inside a
        # lease query could leave a connection mid-transaction (on SQLite, holding the lock).
        self._stopping.set()
        if self._task:
            await asyncio.gather(self._task, return_exceptions=True)
        await asyncio.gather(*self._running.values(), return_exceptions=True)
        for job in self.jobs.values():
            if job.held:
                await self.leases.release(f"job:{job.name}")
                self._set_held(job, False)

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            for job in list(self.jobs.values()):  # jobs may be added while we run
                if self._stopping.is_set():
                    return
                try:
                    await self._tick(job)
                except Exception:  # a failing lease query must not stop every other job
                    log.exception("scheduler tick failed", extra={"job": job.name})
            try:
                await asyncio.wait_for(self._stopping.wait(), self.tick_s)
            except asyncio.TimeoutError:
                pass

    async def _tick(self, job: Job) -> None:
        token = await self.leases.acquire(f"job:{job.name}", self.ttl_s)
        self._set_held(job, token is not None)
        if token is None or job.name in self._running:
            return
        if job.last_run is not None and time.monotonic() - job.last_run < job.interval_s:
            return
        job.last_run = time.monotonic()
        self._running[job.name] = asyncio.create_task(self._run(job))

    async def _run(self, job: Job) -> None:
        try:
            await job.fn(self.leases.clock.now())
            job.runs += 1
        except Exception:
            job.failures += 1
            log.exception("job failed", extra={"job": job.name})
        finally:
            self._running.pop(job.name, None)

    def _set_held(self, job: Job, held: bool) -> None:
        if held != job.held:
            job.held = held
            log.info("lease %s", "acquired" if held else "lost", extra={"job": job.name})
            if self.on_lease_change:
                self.on_lease_change(job.name, held)
