"""Execution of approved requests: claim by compare-and-set, heartbeat a lease, finish once."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import update
from sqlmodel import col, select

from engine.approvals import store
from engine.approvals.integrity import REFUSED, integrity_problem
from engine.approvals.tables import ApprovalRequest
from engine.approvals.types import (APPROVED, CANCELLED, CONFLICT, FAILED, INTERRUPTED, RUNNING,
                                    SUCCEEDED, ActionExecutor, Outcome, RunContext)
from engine.approvals.view import request_notice, step_notice
from engine.audit import AuditLog
from engine.core.clock import Clock
from engine.core.outbox import emit
from engine.store.db import Database

log = logging.getLogger("opsbot.approvals")


async def precheck(db: Database, executors: Mapping[str, ActionExecutor], row: ApprovalRequest,
                   integrity: bool = True) -> str | None:
    """Return why a request cannot run now (its plan's integrity, its executor's precondition), or None."""
    # Integrity first: a plan that is not the one requested is refused, never re-checked.
    # (The vote checks integrity inside its own transaction, so it passes integrity=False.)
    if integrity:
        async with db.session() as s:
            problem = await integrity_problem(s, row)
        if problem:
            log.warning("approval %s refused: %s", row.id, problem)
            return REFUSED + problem
    executor = executors.get(row.kind)
    if executor is None:
        return f"nothing can execute actions of kind {row.kind!r}"
    stale = await executor.precondition(row.plan.get("parameters", {}), row.plan.get("targets", {}))
    return f"plan is stale: {stale}" if stale else None


class Runner:
    """Runs approved requests on this replica; a heartbeat keeps each run's lease alive."""

    def __init__(self, db: Database, audit: AuditLog, clock: Clock, executors: Mapping[str, ActionExecutor],
                 owner: str, lease_s: float, heartbeat_s: float) -> None:
        # `executors` is the approvals service's own registry (read at run time, not copied).
        self.db, self.audit, self.clock, self.executors = db, audit, clock, executors
        self.owner = owner
        self.lease = timedelta(seconds=lease_s)
        self.heartbeat_s = heartbeat_s
        self.tasks: dict[int, asyncio.Task] = {}
        self._work: dict[int, asyncio.Task] = {}
        self._why: dict[int, str] = {}

    def start(self, request_id: int) -> None:
        """Try to claim and run a request in the background (no-op if another replica has it)."""
        if request_id in self.tasks:
            return
        task = asyncio.create_task(self.run(request_id), name=f"approval-run-{request_id}")
        self.tasks[request_id] = task
        task.add_done_callback(lambda _t: self.tasks.pop(request_id, None))

    def cancel_local(self, request_id: int) -> None:
        """Stop a run at once when this replica is the one executing it."""
        work = self._work.get(request_id)
        if work is not None and not work.done():
            self._why[request_id] = "cancel"
            work.cancel()

    async def _claim(self, request_id: int) -> ApprovalRequest | None:
        now = self.clock.now()
        async with self.db.session() as s:
            if not await self._cas_claim(s, request_id, now):
                return None
            row = await store.load(s, request_id)
            await emit(s, request_notice(row, await store.votes(s, request_id)), now)
            await self.audit.append(s, actor="opsbot", action="run.started", subject=f"approval:{request_id}",
                                        data={"owner": self.owner, "plan_hash": row.plan_hash})
            return row

    async def _cas_claim(self, s: Any, request_id: int, now: datetime) -> bool:
        stmt = (update(ApprovalRequest)
                .where(col(ApprovalRequest.id) == request_id, col(ApprovalRequest.state) == APPROVED)
                .values(state=RUNNING, owner=self.owner, updated_at=now, started_at=now,
                        lease_until=now + self.lease, version=col(ApprovalRequest.version) + 1))
        return (await s.exec(stmt)).rowcount == 1

    async def run(self, request_id: int) -> None:
        """Claim, re-check the precondition, execute, and record how it ended."""
        row = await self._claim(request_id)
        if row is None:
            return
        # Re-checked on the very row the executor gets: the plan's hash (and the audit event that
        # recorded it), then the world the plan assumed.
        try:
            conflict = await precheck(self.db, self.executors, row)
        except Exception as exc:  # noqa: BLE001 - an unverifiable precondition is never executed
            conflict = f"could not re-check the plan: {exc}"
        if conflict:
            refused = {"refused": "plan_integrity"} if conflict.startswith(REFUSED) else {}
            await self._finish(request_id, CONFLICT, f"{conflict}; not executed", refused)
            return
        executor = self.executors[row.kind]
        ctx = RunContext(request_id, row.kind, row.env, row.plan.get("parameters", {}),
                         row.plan.get("targets", {}), row.requester,
                         report=lambda **kw: self._report(request_id, **kw))
        work = asyncio.create_task(executor.execute(ctx))
        self._work[request_id] = work
        stop = asyncio.Event()
        beat = asyncio.create_task(self._heartbeat(request_id, work, stop))
        state, reason, data = FAILED, "", {}
        try:
            outcome: Outcome = await asyncio.shield(work)
            state = SUCCEEDED if outcome.ok else FAILED
            reason, data = outcome.summary, outcome.data
        except asyncio.CancelledError:
            why = self._why.pop(request_id, "shutdown")
            if why == "lost":
                return  # another replica declared this run interrupted; it owns the record now
            if why == "cancel":
                state, reason = CANCELLED, "cancelled while running"
            else:
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)
                await self._finish(request_id, INTERRUPTED, "replica shut down during the run", {})
                raise
        except Exception as exc:  # noqa: BLE001 - an executor crash is a failed run, said plainly
            log.exception("executor failed", extra={"request_id": request_id})
            reason = f"executor error: {type(exc).__name__}: {exc}"
        finally:
            stop.set()
            await asyncio.gather(beat, return_exceptions=True)
            self._work.pop(request_id, None)
        await self._finish(request_id, state, reason, data)

    async def _heartbeat(self, request_id: int, work: asyncio.Task, stop: asyncio.Event) -> None:
        while not work.done():
            try:
                await asyncio.wait_for(stop.wait(), self.heartbeat_s)
                return
            except asyncio.TimeoutError:
                pass
            got = await asyncio.shield(self._renew(request_id))
            if got is None or got[0]:
                self._why[request_id] = "lost" if got is None else "cancel"
                work.cancel()
                return

    async def _renew(self, request_id: int) -> Any:
        # Shielded by callers: a transaction cut off mid-flight would leave its connection
        # (and on SQLite the database write lock) held.
        now = self.clock.now()
        async with self.db.session() as s:
            stmt = (update(ApprovalRequest)
                    .where(col(ApprovalRequest.id) == request_id, col(ApprovalRequest.state) == RUNNING,
                           col(ApprovalRequest.owner) == self.owner)
                    .values(lease_until=now + self.lease)
                    .returning(col(ApprovalRequest.cancel_requested_by)))
            return (await s.exec(stmt)).first()

    async def _report(self, request_id: int, *, name: str, status: str, summary: str = "",
                      detail: str | None = None) -> None:
        await asyncio.shield(self._report_tx(request_id, name, status, summary, detail))

    async def _report_tx(self, request_id: int, name: str, status: str, summary: str,
                         detail: str | None) -> None:
        now = self.clock.now()
        async with self.db.session() as s:
            await store.lock(s, request_id)
            row = await store.load(s, request_id)
            if row is None or row.state != RUNNING or row.owner != self.owner:
                return
            progress = [p for p in row.progress if p.get("name") != name]
            index = next((i for i, p in enumerate(row.progress) if p.get("name") == name), len(row.progress))
            entry = {"name": name, "status": status, "summary": summary, "at": now.isoformat(timespec="seconds")}
            progress.insert(index, entry)
            await store.cas(s, request_id, RUNNING, owner=self.owner, progress=progress, updated_at=now)
            row.progress = progress
            await emit(s, request_notice(row, await store.votes(s, request_id)), now)
            if detail:
                await emit(s, step_notice(row, index, entry, detail), now)
            await self.audit.append(s, actor="opsbot", action="run.step", subject=f"approval:{request_id}",
                                        data={"step": name, "status": status, "summary": summary})

    async def _finish(self, request_id: int, state: str, reason: str, data: dict[str, Any]) -> None:
        now = self.clock.now()
        async with self.db.session() as s:
            if not await store.cas(s, request_id, RUNNING, owner=self.owner, state=state, reason=reason[:2000],
                                   result=data, finished_at=now, updated_at=now, lease_until=None):
                return
            row = await store.load(s, request_id)
            await emit(s, request_notice(row, await store.votes(s, request_id)), now)
            await self.audit.append(s, actor="opsbot", action=f"run.{state}", subject=f"approval:{request_id}",
                                        data={"reason": reason[:500], "result": data})

    async def recover(self, now: datetime) -> int:
        """Mark runs whose lease lapsed as interrupted (never re-run them); start orphaned approvals."""
        async with self.db.session() as s:
            dead = (await s.exec(select(ApprovalRequest.id).where(
                col(ApprovalRequest.state) == RUNNING, col(ApprovalRequest.lease_until) < now))).all()
            orphans = (await s.exec(select(ApprovalRequest.id).where(
                col(ApprovalRequest.state) == APPROVED, col(ApprovalRequest.updated_at) < now - self.lease))).all()
        marked = 0
        for request_id in dead:
            async with self.db.session() as s:
                stmt = (update(ApprovalRequest)
                        .where(col(ApprovalRequest.id) == request_id, col(ApprovalRequest.state) == RUNNING,
                               col(ApprovalRequest.lease_until) < now)
                        .values(state=INTERRUPTED, finished_at=now, updated_at=now,
                                reason="the replica running it stopped mid-run; it was not re-run, "
                                       "check the target and request again if needed",
                                version=col(ApprovalRequest.version) + 1))
                if (await s.exec(stmt)).rowcount != 1:
                    continue
                row = await store.load(s, request_id)
                await emit(s, request_notice(row, await store.votes(s, request_id)), now)
                await self.audit.append(s, actor="opsbot", action="run.interrupted",
                                            subject=f"approval:{request_id}",
                                            data={"owner": row.owner, "progress": row.progress})
                marked += 1
        for request_id in orphans:
            self.start(request_id)  # approved but never claimed: it has not run, so running it is safe
        return marked

    async def wait_idle(self) -> None:
        """Wait until no run is in flight on this replica."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks.values()), return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel local runs (recorded as interrupted) and wait for them."""
        for task in list(self.tasks.values()):
            task.cancel()
        await self.wait_idle()
