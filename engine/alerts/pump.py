"""The pump: processes queued webhook batches in arrival order (multi-worker serving).

With `opsbot serve --workers N` every worker validates and durably stores webhook bodies
(`AlertIngest.enqueue`) and answers at once; one pump in the whole deployment (a leased
scheduler job) runs them through the pipeline. A single writer keeps its cached alert state
valid, so processing never pays for reloading what another process wrote, and the workers'
parsing and HTTP work runs on every core.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime

from engine.alerts import batch_repo
from engine.store.bulk import Bulk
from engine.alerts.ingest import AlertIngest
from engine.alerts.types import Batch
from engine.errors import OpsError

log = logging.getLogger("opsbot.alerts.pump")
JOB = "alerts-pump"
PUMP_MAX = 48  # batches per transaction: large enough to amortize it, short enough for the lock
POLL_S = 0.02  # how often an idle pump looks for batches stored by other workers
IDLE_POLL_S = 0.2  # ... once it has been idle for IDLE_AFTER_S
IDLE_AFTER_S = 5.0


class AlertPump:
    """Drains queued batches oldest first; exactly once, because claiming re-checks under the lock."""

    def __init__(self, ingest: AlertIngest) -> None:
        self.ingest = ingest
        self._stopping = False

    def stop(self) -> None:
        """Make a running pump return after its current group (shutdown)."""
        self._stopping = True
        self.ingest.queued.set()

    async def run(self, _now: datetime | None = None) -> None:
        """Pump until stopped (the scheduler job; cancelled if the lease is lost)."""
        last_work = time.monotonic()
        self.ingest.parsed = {}
        try:
            await self._loop(last_work)
        finally:
            self.ingest.parsed = None

    async def _loop(self, last_work: float) -> None:
        while not self._stopping:
            if await self.pump_once():
                last_work = time.monotonic()
                continue
            idle = time.monotonic() - last_work > IDLE_AFTER_S
            self.ingest.queued.clear()
            try:  # woken at once by this worker's own webhooks, by polling for the others'
                await asyncio.wait_for(self.ingest.queued.wait(), IDLE_POLL_S if idle else POLL_S)
            except TimeoutError:
                pass

    async def pump_once(self) -> int:
        """Process the oldest queued batches in one transaction; return how many were processed."""
        ing = self.ingest
        async with ing.db.session() as s:
            rows = await batch_repo.pending_batches(await Bulk.of(s), PUMP_MAX)
        if not rows:
            return 0
        batches: list[tuple[int, Batch]] = []
        for bid, source, body in rows:  # parsed outside the write lock (or by this process's intake)
            known = ing.parsed.pop(bid, None) if ing.parsed is not None else None
            if known is not None:
                batches.append((bid, known))
                continue
            try:
                batches.append((bid, ing.parse("alertmanager" if source == "alertmanager" else "generic",
                                               body.encode())))
            except OpsError as exc:  # stored by an older release with other rules: keep it, skip it
                await self._fail(bid, f"no longer valid: {exc.message}")
        if len(batches) > 1:
            try:
                return await self._process(batches)
            except Exception:  # one bad batch must not block the rest: process them one by one
                log.warning("pump group of %d batches failed; processing them one by one", len(batches))
        done = 0
        for bid, batch in batches:
            try:
                done += await self._process([(bid, batch)])
            except Exception as exc:
                log.exception("queued alert batch %s failed; the retry job will try it again", bid)
                await self._fail(bid, repr(exc))
        return done

    async def _process(self, batches: list[tuple[int, Batch]]) -> int:
        ing = self.ingest
        if not batches:
            return 0
        async with ing.store.locked() as s:
            now = ing.clock.now()
            won = await batch_repo.claim_pending(await Bulk.of(s), [bid for bid, _ in batches], now)
            todo = [b for bid, b in batches if bid in won]
            counts = await ing.run_batches(s, todo, now)  # the same pipeline run as inline
        ing.counters.update(counts)
        ing.counters["pump_groups"] += 1
        ing.counters["batches"] += len(todo)
        ing.counters["alerts"] += sum(len(b.alerts) for b in todo)
        return len(batches)

    async def _fail(self, bid: int, error: str) -> None:
        try:
            async with self.ingest.db.session() as s:
                await batch_repo.mark_failed(await Bulk.of(s), bid, error)
        except Exception:  # the store is gone; the batch stays pending and is retried later
            log.exception("could not record the failure of queued alert batch %s", bid)
