"""Periodic jobs, each under its own database lease so one replica runs it at a time."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Coroutine

from engine.core.leases import Leases

if TYPE_CHECKING:
    from engine.core.replicas import Presence

log = logging.getLogger("opsbot.scheduler")

JobFn = Callable[[datetime], Coroutine[Any, Any, object]]  # what a job returns is not used
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
    # Monotonic time until which this replica may still act for the job: the start of the last
    # successful renewal plus the TTL, minus a safety margin. Checked without the database, so
    # a replica cut off from it (or paused) stops before another can take the lease over.
    valid_until: float = 0.0
    lapses: int = 0  # runs cancelled because the lease could no longer be vouched for
    wakeable: bool = False  # wake() from any replica makes the holder run it at once
    wakes_seen: int | None = None  # the wake counter this replica last acted on


class Scheduler:
    """Runs registered jobs on this replica while it holds each job's lease."""

    def __init__(self, leases: Leases, *, tick_s: float = 1.0, ttl_s: float = 10.0,
                 on_lease_change: LeaseListener | None = None, presence: Presence | None = None) -> None:
        self.leases = leases
        self.presence = presence
        self.tick_s = tick_s
        self.ttl_s = ttl_s
        self.margin_s = min(2.0, ttl_s / 4)
        # A held lease is renewed once less than half its TTL is left rather than every tick:
        # nobody else can take it before it expires, and half a TTL leaves several ticks to
        # retry a failed renewal before the watchdog gives the run up.
        self.renew_within_s = max(tick_s, ttl_s / 2)
        self.jobs: dict[str, Job] = {}
        self.on_lease_change = on_lease_change
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._work: dict[str, asyncio.Task[object]] = {}  # the job function's own task within a run
        self._wake = asyncio.Event()  # set by wake(): run the woken jobs now, not at the next tick

    def add(self, name: str, interval_s: float, fn: JobFn, *, wakeable: bool = False) -> None:
        """Register a job; names are unique across the deployment."""
        if name in self.jobs:
            raise ValueError(f"job {name!r} registered twice")
        self.jobs[name] = Job(name, interval_s, fn, wakeable=wakeable)

    def ensure(self, name: str, interval_s: float, fn: JobFn) -> None:
        """Register a job unless one of that name exists (safe while running: the loop
        iterates a snapshot of the jobs)."""
        if name not in self.jobs:
            self.add(name, interval_s, fn)

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
        if self.presence is not None:
            await self.presence.withdraw()

    async def wake(self, name: str) -> bool:
        """Ask the job's lease holder, on whichever replica, to run it now; True if that is us.

        The request is a counter in the database that the holder reads every tick, so the
        job still runs only under its lease; a run already in progress is followed by one
        more, so a change that arrived during it is seen.
        """
        job = self.jobs.get(name)
        if job is None or not job.wakeable:
            raise ValueError(f"job {name!r} is not registered as wakeable")
        await self.leases.bump(f"wake:{name}")
        if job.held:  # the local holder need not wait for its next tick to read the counter
            self._wake.set()
        return job.held

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            if self.presence is not None:
                try:
                    await self.presence.beat()
                except Exception:  # presence is advisory: it must not stop the jobs
                    log.exception("replica presence beat failed")
            for job in list(self.jobs.values()):  # jobs may be added while we run
                if self._stopping.is_set():
                    return
                try:
                    await self._tick(job)
                except Exception:  # a failing lease query must not stop every other job
                    log.exception("scheduler tick failed", extra={"job": job.name})
            stopping, woken = (asyncio.ensure_future(e.wait()) for e in (self._stopping, self._wake))
            await asyncio.wait({stopping, woken}, timeout=self.tick_s, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            woken.cancel()

    async def _tick(self, job: Job) -> None:
        started = time.monotonic()
        if not job.held or job.valid_until - started <= self.renew_within_s:
            token = await self.leases.acquire(f"job:{job.name}", self.ttl_s)
            # The row's expiry was computed before this round trip began, so measure from `started`.
            job.valid_until = started + self.ttl_s - self.margin_s if token is not None else 0.0
            self._set_held(job, token is not None)
            if token is None:
                self._cancel_running(job, "lease held by another replica")
                return
        if job.name in self._running:
            return
        woken = False
        if job.wakeable:
            wakes = await self.leases.counter(f"wake:{job.name}")
            woken = job.wakes_seen is not None and wakes != job.wakes_seen
            job.wakes_seen = wakes
        if not woken and job.last_run is not None and time.monotonic() - job.last_run < job.interval_s:
            return
        job.last_run = time.monotonic()
        self._running[job.name] = asyncio.create_task(self._run(job))

    async def _run(self, job: Job) -> None:
        work: asyncio.Task[object] = asyncio.create_task(job.fn(self.leases.clock.now()), name=f"opsbot-job-{job.name}")
        self._work[job.name] = work
        try:
            # Watchdog: renewals happen in the loop; if they stop succeeding (database gone, loop
            # stalled, process paused) the lease may pass to another replica at expiry, so the
            # run is cancelled before then. A cancelled run is like a crash, which every job
            # already survives (the outbox finds a half-sent post by its metadata).
            while not work.done():
                remaining = job.valid_until - time.monotonic()
                if remaining <= 0:
                    job.lapses += 1
                    self._set_held(job, False)
                    self._cancel_running(job, "lease could not be renewed in time")
                    break
                await asyncio.wait({work}, timeout=remaining)
            await work
            job.runs += 1
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # this run itself is being cancelled
                work.cancel()
                raise
            log.warning("job run cancelled: lease lost", extra={"job": job.name})
        except Exception:
            job.failures += 1
            log.exception("job failed", extra={"job": job.name})
        finally:
            self._running.pop(job.name, None)
            self._work.pop(job.name, None)

    def _cancel_running(self, job: Job, why: str) -> None:
        work = self._work.get(job.name)
        if work is not None and not work.done():
            log.warning("cancelling job run: %s", why, extra={"job": job.name})
            work.cancel()

    def _set_held(self, job: Job, held: bool) -> None:
        if held != job.held:
            job.held = held
            log.info("lease %s", "acquired" if held else "lost", extra={"job": job.name})
            if self.on_lease_change:
                self.on_lease_change(job.name, held)
