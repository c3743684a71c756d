"""Commit chain (PostgreSQL): a group's stages run while the group before it is still being written.

One writer at a time holds the alert state, so a group's work ran one step after another: the
stages in Python, then the server's inserts of its alert, decision and machine rows, then the
commit. In a storm that was about half Python and half server, and neither overlapped. Here a
group's rows are built from the state as its stages left it and the statements kept
(Bulk.record); they are sent, and the transaction committed, while the next group's stages run
on that same in-memory state. Every group is still answered only once its own transaction
committed. The next group's stages see exactly what they would see after the commit (its new
incidents already have their ids); they are speculative only in that the commit may still fail
or another replica may write first: then the cached state is dropped and the group runs again
from the store, as any group would after a failure. What that may lose is what a failed
transaction loses today: the repeat counters held in memory (counters.py), not any alert,
incident, decision or notice. The chain holds the in-process write lock from group to group and
lets go when a writer waits for it (ticks, people's actions), when the queue is empty, or after
MAX_LINKS groups.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, AsyncContextManager, Awaitable, Callable

from engine.alerts.flow import Outcome, PipelineState
from engine.alerts.intake import IngestResult, Item
from engine.store.bulk import Bulk

if TYPE_CHECKING:
    from engine.alerts.ingest import AlertIngest

log = logging.getLogger("opsbot.alerts")
MAX_LINKS = 64  # groups one chain commits before it lets other writers in anyway
# Stages run ahead only after this many transactions in a row found no other replica's write in
# between: replicas that take turns would throw the work away (and count the label statistics twice).
SOLE_WRITER_AFTER = 8
AloneFn = Callable[[Item], Awaitable[None]]


@dataclass
class _Spec:
    """A group's stages, run on the cached state while the group before it was written."""

    now: datetime
    state: PipelineState
    out: Outcome
    batches: int  # distinct bodies it ran


@dataclass
class _Pending:
    """A group whose statements and commit are in flight: answered when they finish."""

    task: asyncio.Task[None]
    items: list[Item]
    results: list[IngestResult]
    counts: Counter[str]


class CommitChain:
    """Runs groups of webhook bodies with each group's writes overlapping the next group's stages."""

    def __init__(self, ingest: AlertIngest) -> None:
        self.ing = ingest
        self.held = False  # this chain holds the store's in-process write lock
        self.pending: _Pending | None = None
        self.links = 0

    async def run(self, items: list[Item], alone: AloneFn) -> None:
        """Process one group; its answers are given once it committed (by the next run, or finish)."""
        store = self.ing.store
        if self.held and (store.waiting or self.links >= MAX_LINKS):
            await self.finish(alone)  # let the waiting writer in
        spec = await self._speculate(items) if self.held and self.pending is not None else None
        if not await self._settle(alone):
            spec = None  # the group before failed: the cache was dropped
        if not self.held:
            await store.acquire()
            self.held, self.links = True, 0
        self.links += 1
        try:
            self.pending = await self._begin(items, spec)
        except Exception:  # nothing of it is stored: each body alone, as the serial path retries
            log.warning("chained group of %d alert batches failed; processing them one by one", len(items))
            self._release()
            for it in items:
                await alone(it)
        except BaseException:  # cancelled: the lock must not stay taken
            self._release()
            raise

    async def finish(self, alone: AloneFn) -> None:
        """Answer the group in flight once it committed, and let go of the write lock."""
        await self._settle(alone)
        self._release()

    def _release(self) -> None:
        if self.held:
            self.held = False
            self.ing.store.release()

    async def _speculate(self, items: list[Item]) -> _Spec | None:
        ing = self.ing
        if ing.store.streak < SOLE_WRITER_AFTER:
            return None
        batches, seen = [], set()
        for it in items:  # a body twice in one group runs once (as claim decides)
            if it.digest not in seen:
                seen.add(it.digest)
                batches.append(it.batch)
        now = ing.clock.now()
        got = ing.store.cached_state({a.fingerprint for b in batches for a in b.alerts}, now)
        if got is None:
            return None  # a state to read from the store: the group runs in its transaction
        state = PipelineState(got[0], got[1], model=ing.model)
        out = Outcome()
        for n, b in enumerate(batches):
            out.merge(ing.pipeline.process(state, b.alerts, now, same_transaction=n > 0))
            # Between bodies: the group before sends its next statement (the server works meanwhile).
            await asyncio.sleep(0)
        return _Spec(now, state, out, len(batches))

    async def _begin(self, items: list[Item], spec: _Spec | None) -> _Pending:
        ing, store = self.ing, self.ing.store
        ctx: AsyncContextManager[Any] = ing.db.session()
        s = await ctx.__aenter__()
        try:
            if not await store.begin(s, speculated=spec is not None):
                spec = None  # another replica wrote first: the cache is gone, run from the store
            now = spec.now if spec is not None else ing.clock.now()
            results, todo = await ing.claim(s, items, now)
            if spec is not None and len(todo) != spec.batches:
                store.invalidate()  # a body was stored before (a retry): its stages must not count
                spec = None
            if spec is not None:
                state, out = spec.state, spec.out
                ing.counters["chained_groups"] += 1  # its stages overlapped the group before
            elif todo:
                state, out = await ing.stages(s, todo, now)
            else:
                state, out = PipelineState({}, {}), Outcome()
            if todo:
                await ing.pipeline.commit(s, state, out, now, defer=True)
            bulk = await Bulk.of(s)
        except BaseException:
            await ctx.__aexit__(*sys.exc_info())
            store.invalidate()
            raise
        task = asyncio.create_task(self._write(ctx, bulk))
        await asyncio.sleep(0)  # the first statement leaves now
        return _Pending(task, items, results, out.counts)

    @staticmethod
    async def _write(ctx: AsyncContextManager[Any], bulk: Bulk) -> None:
        try:
            await bulk.replay()
        except BaseException:
            await ctx.__aexit__(*sys.exc_info())  # rolls back
            raise
        await ctx.__aexit__(None, None, None)  # commits

    async def _settle(self, alone: AloneFn) -> bool:
        p, self.pending = self.pending, None
        if p is None:
            return True
        try:
            await p.task
        except Exception:  # not committed: nothing of it is stored; each body alone, as serially
            log.warning("alert group of %d batches failed to commit; processing them one by one", len(p.items))
            self.ing.store.invalidate()
            self._release()
            for it in p.items:
                await alone(it)
            return False
        self.ing.account(p.results, p.counts)
        for it, r in zip(p.items, p.results):
            if not it.future.done():
                it.future.set_result(r)
        return True
