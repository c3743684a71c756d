"""Ingest: validate a webhook body, store it durably, and run it through the pipeline.

The engine alone decides whether a body is processed in its request (one process) or stored
for the pump (`opsbot serve --workers N`, see pump.py): `receive` is the only door.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import Callable, Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.alerts import dead_letter
from engine.store.bulk import Bulk
from engine.alerts.config import AlertsConfig
from engine.alerts.cooccurrence import CoOccurrence
from engine.alerts.enrich import ContextEnricher, EnrichStage
from engine.alerts.fingerprint import sha256_hex
from engine.alerts.intake import GroupCommit, IngestResult, Item
from engine.alerts.messages import MessageExtension
from engine.alerts.model import GroupingModel
from engine.alerts.notify_stage import EmitFn, NotifyStage
from engine.alerts.parse import ParseStage
from engine.alerts.pipeline import Outcome, Pipeline, PipelineState, tick
from engine.alerts.batch_repo import claim_batches, queue_batches
from engine.alerts.store import AlertStore
from engine.alerts.tables import AlertBatch
from engine.alerts.types import Batch
from engine.core.clock import Clock
from engine.errors import InvalidInput, Unavailable
from engine.store.db import Database

__all__ = ["AlertIngest", "IngestResult"]

log = logging.getLogger("opsbot.alerts")
B = AlertBatch.__table__
KINDS = ("alertmanager", "generic")
PARSED_MAX = 2_000  # parsed queued batches kept for the pump in this process (memory bound)
PUMP_STALE_S = 30.0  # a queued batch older than this is retried by the tick job (pump gone)


class AlertIngest:
    """Receives alert batches for the engine: parse, store, then the pipeline's stages."""

    def __init__(self, db: Database, cfg: AlertsConfig, clock: Clock, emit: EmitFn,
                 hasher: Callable[[bytes], str] = sha256_hex, *,
                 extensions: Sequence[MessageExtension] = (), enrichers: Sequence[ContextEnricher] = ()) -> None:
        self.db, self.cfg, self.clock, self.hasher = db, cfg, clock, hasher
        self.store = AlertStore(db, cfg)
        # The grouping model and the co-occurrence it learns online (Split/Merge feed it too).
        self.model = GroupingModel(cfg, CoOccurrence())
        self.enrich = EnrichStage(cfg, extensions, enrichers)
        self.notify = NotifyStage(cfg, emit)
        self.pipeline = Pipeline(cfg, ParseStage(cfg.limits, hasher, frozenset(cfg.volatile_labels),
                                                 cfg.severity_label),
                                 (self.enrich, self.notify), self.store)
        self.counters: Counter = Counter()  # exported on /metrics by the bot
        self.intake = GroupCommit(self.counters, self._process_group, self._one, self._store_queued)
        # Multi-worker serving: webhooks only store batches and the one pump processes them.
        self.queue_mode = False
        self.queued = asyncio.Event()  # set when this process stored batches for the pump
        # Batches this process stored, already parsed, while a pump runs in this process (it
        # then skips re-parsing them); None when no pump runs here.
        self.parsed: dict[int, Batch] | None = None

    def parse(self, kind: str, body: bytes) -> Batch:
        """Validate a body of the given kind (alertmanager | generic) or raise InvalidInput."""
        d = self.pipeline.door.decide(kind, body)
        if d.batch is None:
            self.counters[f"rejected.{kind}"] += 1
            raise d.error or InvalidInput(d.reason)
        return d.batch

    async def receive(self, kind: str, body: bytes) -> IngestResult:
        """Validate and durably store one body, then process it here or leave it to the pump.

        Raise InvalidInput for a bad body and Unavailable if it cannot be stored.
        """
        return await self._submit(kind, body, queued=self.queue_mode)

    async def enqueue(self, kind: str, body: bytes) -> IngestResult:
        """Validate and durably store one body for the pump; raise Unavailable if it cannot be stored."""
        return await self._submit(kind, body, queued=True)

    async def _submit(self, kind: str, body: bytes, queued: bool) -> IngestResult:
        if kind not in KINDS:
            raise ValueError(f"unknown alert source kind {kind!r}")
        batch = self.parse(kind, body)
        return await self.intake.submit(Item(kind, batch, body, self.hasher(kind.encode() + b"\n" + body),
                                             asyncio.get_running_loop().create_future(), queued))

    async def _store_queued(self, items: list[Item]) -> None:
        # One transaction for the group, outside the alerts write lock: only alerts_batch rows.
        try:
            async with self.db.session() as s:
                ids, fresh = await queue_batches(await Bulk.of(s), [self._batch_row(it) for it in items],
                                                      self.clock.now())
        except Exception as exc:  # not stored: 5xx so the sender retries; nothing was half-done
            log.exception("could not store %d queued alert batches", len(items))
            err = Unavailable(f"could not store the alert batch: {exc}", hint="the sender will retry")
            for it in items:
                if not it.future.done():
                    it.future.set_exception(err)
            return
        self.queued.set()
        keep = self.parsed
        if keep is not None and len(keep) > PARSED_MAX:  # the pump fell behind: it parses on demand
            keep.clear()
        for it in items:
            dup = it.digest not in fresh
            fresh.discard(it.digest)
            if keep is not None and not dup:
                keep[ids[it.digest]] = it.batch
            self.counters["duplicate_batches" if dup else "queued_batches"] += 1
            if not it.future.done():
                it.future.set_result(IngestResult(ids[it.digest], len(it.batch.alerts), duplicate=dup,
                                                  queued=True))

    async def _one(self, it: Item) -> IngestResult:
        kind, batch, body, digest = it.kind, it.batch, it.body, it.digest
        try:
            return (await self._process_group([it]))[0]
        except Exception as exc:  # processing bug or lost DB: keep the body if we still can
            log.exception("alert batch processing failed; storing it for retry")
            try:
                bid = await self._store_pending(kind, batch, body, digest, repr(exc))
            except Exception as exc2:
                # Not stored: answer 5xx so Alertmanager retries instead of dropping it.
                raise Unavailable(f"could not store the alert batch: {exc2}",
                                  hint="the sender will retry") from exc2
            self.counters["deferred"] += 1
            return IngestResult(bid, len(batch.alerts), deferred=True)

    def _batch_insert(self, kind: str, batch: Batch, body: bytes, digest: str, now: datetime,
                      on_conflict: dict | None = None, error: str | None = None):
        ins = (postgresql if self.db.dialect == "postgresql" else sqlite).insert(B).values(
            digest=digest, source=kind if kind == "alertmanager" else batch.source,
            receiver=batch.receiver[:200], group_key=batch.group_key,
            body=body.decode("utf-8"), alert_count=len(batch.alerts), deliveries=1, received_at=now,
            error=error)
        return ins.on_conflict_do_update(index_elements=[B.c.digest],
                                         set_=on_conflict or {"deliveries": B.c.deliveries + 1})

    async def _process_group(self, items: list[Item]) -> list[IngestResult]:
        results: list[IngestResult] = []
        async with self.store.locked() as s:
            now = self.clock.now()
            bulk = await Bulk.of(s)
            ids, fresh = await claim_batches(bulk, [self._batch_row(it) for it in items], now)
            todo: list[Batch] = []
            for it in items:
                # A body seen twice in one group is processed once, like a retry would be.
                dup = it.digest not in fresh
                fresh.discard(it.digest)
                results.append(IngestResult(ids[it.digest], len(it.batch.alerts), duplicate=dup))
                if not dup:
                    todo.append(it.batch)
            counts = await self.run_batches(s, todo, now)
        self.counters.update(counts)
        for r in results:
            self.counters["duplicate_batches" if r.duplicate else "batches"] += 1
            self.counters["alerts"] += r.alerts
            r.counts = counts if len(results) == 1 else Counter()
        return results

    def _batch_row(self, it: Item) -> tuple:
        b = it.batch
        return (it.digest, it.kind if it.kind == "alertmanager" else b.source, b.receiver[:200],
                b.group_key, it.body.decode("utf-8"), len(b.alerts))

    async def run_batches(self, s: AsyncSession, batches: list[Batch], now: datetime) -> Counter[str]:
        """Run parsed batches through the pipeline in the caller's locked session; return the counts."""
        if not batches:
            return Counter()
        alerts = await self.store.alerts_for(s, (a.fingerprint for b in batches for a in b.alerts))
        # The cached candidates dict itself: new incidents land in the cache as they are made.
        state = PipelineState(alerts, await self.store.candidates(s, now), model=self.model)
        out = Outcome()
        for n, b in enumerate(batches):
            # The batches share the grouping model's verdicts (nothing but the stages runs between them).
            out.merge(self.pipeline.process(state, b.alerts, now, same_transaction=n > 0))
        await self.pipeline.commit(s, state, out, now)
        return out.counts

    async def _store_pending(self, kind: str, batch: Batch, body: bytes, digest: str, error: str) -> int:
        async with self.db.session() as s:
            stmt = self._batch_insert(kind, batch, body, digest, self.clock.now(),
                                      {"error": error[:500], "deliveries": B.c.deliveries + 1}, error[:500])
            return (await s.execute(stmt.returning(B.c.id))).scalar_one()

    async def retry_pending(self, limit: int = 20) -> int:
        """Process stored batches whose first processing failed; return how many succeeded."""
        async with self.db.session() as s:
            # Fresh queued batches belong to the pump; failed ones, and any a dead pump left
            # behind, are retried here.
            stale = self.clock.now() - timedelta(seconds=PUMP_STALE_S)
            rows = (await s.execute(select(B.c.id, B.c.source, B.c.body, B.c.attempts).where(
                B.c.processed_at.is_(None), B.c.dead_at.is_(None),
                or_(B.c.error.is_not(None), B.c.received_at < stale)).order_by(B.c.id).limit(limit))).all()
        done = 0
        for r in rows:
            kind = "alertmanager" if r.source == "alertmanager" else "generic"
            try:
                batch = self.parse(kind, r.body.encode())
                async with self.store.locked() as s:
                    # Another replica may have processed it meanwhile: re-check under the lock.
                    if (await s.execute(select(B.c.processed_at).where(B.c.id == r.id))).scalar_one():
                        continue
                    now = self.clock.now()
                    await self.run_batches(s, [batch], now)
                    await s.execute(update(B).where(B.c.id == r.id).values(processed_at=now, error=None))
                done += 1
            except InvalidInput as exc:  # stored under other rules: it can never pass, so no retries
                await self._failed(r.id, r.attempts, exc, final=True)
            except Exception as exc:
                log.exception("retrying stored alert batch %s failed", r.id)
                await self._failed(r.id, r.attempts, exc)
        return done

    async def _failed(self, bid: int, attempts: int, exc: Exception, final: bool = False) -> None:
        if await dead_letter.record_failure(self.db, self.clock.now(), bid, attempts, exc,
                                            final or attempts + 1 >= self.cfg.dead_letter_after):
            self.counters["dead_lettered"] += 1

    async def tick(self, now: datetime | None = None) -> int:
        """Run time-driven work (retries, cool-down resolves, snooze ends, reminders); return changes."""
        await self.retry_pending()
        async with self.store.locked() as s:
            now = now or self.clock.now()
            await self.store.flush_counters(s, now)  # an idle writer still writes them in time
            state = PipelineState({}, await self.store.candidates(s, now), model=self.model)
            out = tick(state, self.cfg, now)
            if out.changes:
                member_fps = [fp for i in out.changes for fp in state.incidents[i].firing]
                state.alerts = await self.store.alerts_for(s, member_fps)
                await self.pipeline.commit(s, state, out, now)
            return sum(len(c) for c in out.changes.values())

    async def flush_counters(self) -> int:
        """Write every held repeat counter now (shutdown); return how many alert rows."""
        if not len(self.store.held):
            return 0
        async with self.store.locked() as s:
            return await self.store.flush_counters(s)

    async def prune(self, older_than_s: float = 7 * 86400) -> None:
        """Delete processed raw batches older than the retention (alerts and decisions stay)."""
        cutoff = self.clock.now() - timedelta(seconds=older_than_s)
        async with self.db.session() as s:
            await s.execute(B.delete().where(B.c.processed_at < cutoff))
