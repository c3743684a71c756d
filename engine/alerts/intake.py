"""Group commit for webhook bodies: requests that arrive while a transaction runs share the next."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from engine.alerts.types import Batch

log = logging.getLogger("opsbot.alerts")
GROUP_MAX = 32  # batches sharing one transaction at most
COALESCE_S = 0.002  # longest a transaction waits for more requests to join it


@dataclass
class Item:
    """One validated webhook body waiting for its transaction."""

    kind: str
    batch: Batch
    body: bytes
    digest: str
    future: asyncio.Future[IngestResult]
    queued: bool = False  # store for the pump only, not processed in this request


@dataclass
class IngestResult:
    """What happened to one webhook body."""

    batch_id: int
    alerts: int
    duplicate: bool = False  # the identical body was already stored (it is processed once)
    deferred: bool = False  # stored, but processing failed; the tick job retries it
    queued: bool = False  # stored; the pump processes it (multi-worker serving)
    counts: Counter[str] = field(default_factory=Counter)


GroupFn = Callable[[list[Item]], Awaitable[list[IngestResult]]]
OneFn = Callable[[Item], Awaitable[IngestResult]]
QueueFn = Callable[[list[Item]], Awaitable[None]]


class GroupCommit:
    """Queues items and runs them in groups: under load the lock, the commit and the state writes
    are paid once per group instead of once per request."""

    def __init__(self, counters: Counter[str], group: GroupFn, one: OneFn, store_queued: QueueFn) -> None:
        self.counters = counters
        self._group, self._one, self._store_queued = group, one, store_queued
        self._queue: list[Item] = []
        self._drainer: asyncio.Task[None] | None = None
        self._arrived = asyncio.Event()
        self._inflight = 0  # requests parsed and waiting for their commit
        self._peak = 0  # most requests in flight since the last group started

    async def submit(self, item: Item) -> IngestResult:
        """Queue one item and return its result once its group committed."""
        self._queue.append(item)
        self._arrived.set()
        self._inflight += 1
        self._peak = max(self._peak, self._inflight)
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        try:
            return await asyncio.shield(item.future)
        finally:
            self._inflight -= 1

    async def _drain(self) -> None:
        while self._queue:
            await self._gather()
            group, self._queue = self._queue[:GROUP_MAX], self._queue[GROUP_MAX:]
            self.counters["groups"] += 1
            queued = [it for it in group if it.queued]
            if queued:
                await self._store_queued(queued)
                group = [it for it in group if not it.queued]
                if not group:
                    continue
            if len(group) == 1:
                await self._settle(group[0], self._one(group[0]))
                continue
            try:
                results = await self._group(group)
            except Exception:  # one bad batch must not fail the others: retry them one by one
                log.warning("group of %d alert batches failed; processing them one by one", len(group))
                for it in group:
                    await self._settle(it, self._one(it))
                continue
            for it, res in zip(group, results):
                if not it.future.done():
                    it.future.set_result(res)

    async def _gather(self) -> None:
        # Under load senders answered by the last commit are about to send again; waiting a
        # moment for them (never past COALESCE_S) turns two half groups into one full one, and
        # a transaction costs more than the wait. Without load there is nothing to wait for.
        target, self._peak = min(GROUP_MAX, self._peak), self._inflight
        loop = asyncio.get_running_loop()
        deadline = loop.time() + COALESCE_S
        while len(self._queue) < target and loop.time() < deadline:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), COALESCE_S / 4)
            except TimeoutError:
                pass

    @staticmethod
    async def _settle(it: Item, coro: Awaitable[IngestResult]) -> None:
        try:
            res = await coro
        except BaseException as exc:
            if not it.future.done():
                it.future.set_exception(exc)
            return
        if not it.future.done():
            it.future.set_result(res)
