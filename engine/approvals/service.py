"""Approvals: request with a frozen plan, approve/reject/cancel by compare-and-set, expire."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from engine.actor import Actor
from engine.approvals import store
from engine.approvals.integrity import close_tampered, integrity_problem
from engine.approvals.runner import Runner, precheck
from engine.approvals.tables import ApprovalRequest, ApprovalVote
from engine.approvals.types import (APPROVED, CANCELLED, CONFLICT, EXPIRED, REJECTED, REQUESTED,
                                    RUNNING, TERMINAL, ActionExecutor, Plan)
from engine.approvals.view import request_notice
from engine.audit import AuditLog
from engine.core.clock import Clock
from engine.errors import Conflict, Forbidden, NotFound, OpsError
from engine.core.outbox import emit
from engine.policy import Decision, Policy
from engine.store.db import Database

log = logging.getLogger("opsbot.approvals")


def _hm(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M UTC")



def expired_reason(row: ApprovalRequest, votes: list[ApprovalVote]) -> str:
    """Say on an expired card how far it got and what to do (its state already says "Expired")."""
    got = sum(v.decision == "approve" for v in votes)
    return (f"not approved in time ({got} of {row.required} approval{'s' if row.required != 1 else ''}); "
            f"request it again if it is still needed")

class Approvals:
    """The one approval mechanism every risky action uses; executors register per action kind."""

    def __init__(self, db: Database, audit: AuditLog, policy: Policy, clock: Clock, replica_id: str,
                 *, lease_s: float = 30.0, heartbeat_s: float | None = None, max_writers: int = 8) -> None:
        self.db, self.audit, self.policy, self.clock = db, audit, policy, clock
        # Every vote transaction ends on the audit chain head, one writer at a time; letting
        # hundreds queue on the database only slows the holder (event-loop convoy), so queue here.
        self._writers = asyncio.Semaphore(max_writers)
        self._local: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self.executors: dict[str, ActionExecutor] = {}
        self.runner = Runner(db, audit, clock, self.executors, replica_id, lease_s, heartbeat_s or lease_s / 3)

    def register(self, executor: ActionExecutor) -> None:
        """Register the executor of an action kind (once per kind)."""
        if executor.kind in self.executors:
            raise ValueError(f"executor for {executor.kind!r} registered twice")
        self.executors[executor.kind] = executor

    async def request(self, actor: Actor, plan: Plan, decision: Decision, channel: str) -> ApprovalRequest:
        """Record a request with its plan frozen; run it now if policy needs no approval."""
        decision.require()
        if plan.kind not in self.executors:
            raise NotFound(f"nothing can execute actions of kind {plan.kind!r}")
        now = self.clock.now()
        needs = decision.effect == "approval"
        frozen = plan.frozen()
        row = ApprovalRequest(
            kind=plan.kind, title=plan.title, env=plan.env, plan=frozen, plan_hash=plan.digest(),
            dry_run=plan.dry_run, requester=actor.user_id, requester_name=actor.name, channel=channel,
            required=decision.approvals if needs else 0, approver_roles=list(decision.approver_roles),
            state=REQUESTED if needs else APPROVED, created_at=now, updated_at=now,
            expires_at=now + timedelta(minutes=decision.expires_minutes))
        async with self.db.session() as s:
            s.add(row)
            await s.flush()
            await emit(s, request_notice(row, []), now)
            await self.audit.append(s, actor=actor, action="approval.requested", subject=f"approval:{row.id}",
                                    data={"kind": plan.kind, "title": plan.title, "env": plan.env,
                                          "plan_hash": row.plan_hash, "parameters": frozen["parameters"],
                                          "decision": decision.reason, "required": row.required,
                                          "approver_roles": row.approver_roles})
        if not needs:
            self.runner.start(row.id or 0)
        return row

    async def get(self, request_id: int) -> tuple[ApprovalRequest, list[ApprovalVote]]:
        """Return a request and its votes."""
        async with self.db.session() as s:
            row = await store.load(s, request_id)
            if row is None:
                raise NotFound(f"no approval request #{request_id}")
            return row, await store.votes(s, request_id)

    async def recent(self, n: int = 20) -> list[ApprovalRequest]:
        """Return the newest requests."""
        async with self.db.session() as s:
            return list((await s.exec(select(ApprovalRequest).order_by(col(ApprovalRequest.id).desc())
                                      .limit(n))).all())

    def _state_refusal(self, row: ApprovalRequest, vs: list[ApprovalVote], actor: Actor,
                       digest: str | None, now: datetime) -> tuple[str, OpsError] | None:
        mine = next((v for v in vs if v.user_id == actor.user_id), None)
        if mine is not None:
            return "replayed", Conflict(f"you already {mine.decision}d request #{row.id} at {_hm(mine.at)}")
        if row.state != REQUESTED:
            why = f": {row.reason}" if row.reason else ""
            return "not_pending", Conflict(f"request #{row.id} is already {row.state}{why}")
        if digest is not None and not row.plan_hash.startswith(digest):
            return "stale_payload", Conflict("this button belongs to a different plan than request "
                                             f"#{row.id} now holds", hint="use the current message")
        if now >= row.expires_at:
            return "expired", Conflict(f"request #{row.id} expired at {_hm(row.expires_at)}",
                                       hint="request it again")
        return None

    def _actor_refusal(self, row: ApprovalRequest, actor: Actor, holds: bool, verb: str) -> tuple[str, OpsError] | None:
        if actor.user_id == row.requester:
            return "self_approval", Forbidden(f"you requested #{row.id}, so you cannot {verb} it",
                                              hint="someone else with an approving role must")
        if not holds:
            return "missing_role", Forbidden(f"to {verb} #{row.id} you need role "
                                             f"{' or '.join(row.approver_roles)}",
                                             hint="`/ops whoami` shows your roles")
        return None

    async def approve(self, request_id: int, actor: Actor, digest: str | None = None) -> ApprovalRequest:
        """Add actor's approval; the vote that completes N-of-M approves and starts the run."""
        return await self._vote(request_id, actor, digest, "approve")

    async def reject(self, request_id: int, actor: Actor, digest: str | None = None) -> ApprovalRequest:
        """Reject a pending request (an approver; the requester cancels instead)."""
        return await self._vote(request_id, actor, digest, "reject")

    async def _vote(self, request_id: int, actor: Actor, digest: str | None, decision: str) -> ApprovalRequest:
        # Clicks on one request queue here per replica, so a burst of duplicates reads the
        # committed outcome of the first and is refused from a snapshot instead of each taking
        # the row lock and the audit chain head in turn.
        lock = self._local.setdefault(request_id, asyncio.Lock())
        self._waiting[request_id] = self._waiting.get(request_id, 0) + 1
        try:
            async with lock:
                return await self._vote_locked(request_id, actor, digest, decision)
        finally:
            self._waiting[request_id] -= 1
            if not self._waiting[request_id]:
                self._waiting.pop(request_id)
                self._local.pop(request_id, None)

    async def _vote_locked(self, request_id: int, actor: Actor, digest: str | None,
                           decision: str) -> ApprovalRequest:
        peek, peek_votes = await self.get(request_id)
        now = self.clock.now()
        early = self._state_refusal(peek, peek_votes, actor, digest, now)
        if early and early[0] in ("replayed", "not_pending"):
            # States never move back to requested and votes are never removed, so a duplicate
            # click is refused from the snapshot: no lock, no audit event (it decides nothing).
            raise early[1]
        # Slack lookups and precondition checks happen before the row lock is taken.
        holds = await self.policy.holds_any(actor, peek.approver_roles)
        count = sum(v.decision == "approve" for v in peek_votes)
        conflict = None
        if decision == "approve" and peek.state == REQUESTED and count + 1 >= peek.required:
            conflict = await precheck(self.db, self.executors, peek, integrity=False)
        async with self._writers:
            row, error, start = await self._vote_tx(request_id, actor, digest, decision, holds, conflict, now)
        if error:
            raise error
        if start:
            self.runner.start(request_id)
        return row

    async def _vote_tx(self, request_id: int, actor: Actor, digest: str | None, decision: str, holds: bool,
                       conflict: str | None, now: datetime) -> tuple[ApprovalRequest, OpsError | None, bool]:
        error: OpsError | None = None
        start = False
        async with self.db.session() as s:
            await store.lock(s, request_id)
            row = await store.load(s, request_id)
            assert row is not None
            vs = await store.votes(s, request_id)
            refusal = self._state_refusal(row, vs, actor, digest, now) or \
                self._actor_refusal(row, actor, holds, decision)
            # An approve that would count, or whose button hash differs (a plan edited together with
            # its hash): a plan failing integrity is closed, not left pending behind that refusal.
            if decision == "approve" and (refusal is None or refusal[0] == "stale_payload") and \
                    (problem := await integrity_problem(s, row)):
                row = await close_tampered(s, self.audit, row, vs, actor, problem, now)
                return row, Conflict(f"#{request_id} not executed: {row.reason}", hint="request it again"), False
            subject = f"approval:{request_id}"
            if refusal:
                code, error = refusal
                if code == "expired":
                    await store.cas(s, request_id, REQUESTED, state=EXPIRED, reason=expired_reason(row, vs),
                                    updated_at=now, finished_at=now)
                    row = await store.load(s, request_id)
                    await emit(s, request_notice(row, vs), now)
                await self.audit.append(s, actor=actor, action=f"approval.{decision}_refused", subject=subject,
                                        data={"reason": code, "message": error.message})
            else:
                s.add(ApprovalVote(request_id=request_id, user_id=actor.user_id, user_name=actor.name,
                                   decision=decision, at=now))
                await s.flush()
                vs = await store.votes(s, request_id)
                # The vote is its own event ("approval.vote_approve"); the state it leads to, if any,
                # follows as "approval.<state>", so the log never shows one name twice for one click.
                await self.audit.append(s, actor=actor, action=f"approval.vote_{decision}", subject=subject,
                                        data={"plan_hash": row.plan_hash})
                approvals = sum(v.decision == "approve" for v in vs)
                if decision == "reject":
                    await store.cas(s, request_id, REQUESTED, state=REJECTED, updated_at=now, finished_at=now,
                                    reason=f"rejected by {actor.name or actor.user_id}")
                elif approvals >= row.required and conflict:
                    await store.cas(s, request_id, REQUESTED, state=CONFLICT, updated_at=now, finished_at=now,
                                    reason=conflict)
                    error = Conflict(f"#{request_id} not executed: {conflict}", hint="request it again")
                elif approvals >= row.required:
                    start = await store.cas(s, request_id, REQUESTED, state=APPROVED, updated_at=now)
                row = await store.load(s, request_id)
                if row.state != REQUESTED:
                    await self.audit.append(s, actor=actor, action=f"approval.{row.state}", subject=subject,
                                            data={"approvals": approvals, "required": row.required,
                                                  "reason": row.reason})
                await emit(s, request_notice(row, vs), now)
        return row, error, start

    async def cancel(self, request_id: int, actor: Actor) -> ApprovalRequest:
        """Withdraw a pending request, or ask a running one to stop (requester or approver)."""
        peek, _ = await self.get(request_id)
        if actor.user_id != peek.requester and not await self.policy.holds_any(actor, peek.approver_roles):
            raise Forbidden(f"only the requester or role {' or '.join(peek.approver_roles) or '(none)'} "
                            f"can cancel #{request_id}")
        now = self.clock.now()
        who = actor.name or actor.user_id
        async with self.db.session() as s:
            await store.lock(s, request_id)
            row = await store.load(s, request_id)
            assert row is not None
            if row.state in TERMINAL:
                error: OpsError | None = Conflict(f"request #{request_id} is already {row.state}")
            elif row.state == RUNNING:
                ok = await store.cas(s, request_id, RUNNING, cancel_requested_by=actor.user_id, updated_at=now)
                error = None if ok else Conflict(f"request #{request_id} is no longer running")
            else:
                ok = await store.cas(s, request_id, (REQUESTED, APPROVED), state=CANCELLED, updated_at=now,
                                     finished_at=now, reason=f"cancelled by {who} before it ran")
                error = None if ok else Conflict(f"request #{request_id} moved on; try again")
            if error is None:
                row = await store.load(s, request_id)
                await self.audit.append(s, actor=actor, action="approval.cancel", subject=f"approval:{request_id}",
                                        data={"state": row.state})
                await emit(s, request_notice(row, await store.votes(s, request_id)), now)
        if error:
            raise error
        self.runner.cancel_local(request_id)
        return row

    async def expire_due(self, now: datetime) -> int:
        """Scheduled job: mark pending requests past their expiry as expired; return how many."""
        async with self.db.session() as s:
            ids = (await s.exec(select(ApprovalRequest.id).where(
                col(ApprovalRequest.state) == REQUESTED, col(ApprovalRequest.expires_at) <= now))).all()
        done = 0
        for request_id in ids:
            if request_id is None:
                continue
            async with self.db.session() as s:
                pending = await store.load(s, request_id)
                if pending is None:
                    continue
                why = expired_reason(pending, await store.votes(s, request_id))
                if not await store.cas(s, request_id, REQUESTED, state=EXPIRED, reason=why,
                                       updated_at=now, finished_at=now):
                    continue
                row = await store.load(s, request_id)
                await emit(s, request_notice(row, await store.votes(s, request_id)), now)
                await self.audit.append(s, actor="opsbot", action="approval.expired",
                                        subject=f"approval:{request_id}", data={})
                done += 1
        return done

    async def recover(self, now: datetime) -> int:
        """Scheduled job: mark runs whose owner stopped heartbeating as interrupted."""
        return await self.runner.recover(now)

    async def wait_idle(self) -> None:
        """Wait for this replica's runs to finish (tests and shutdown)."""
        await self.runner.wait_idle()

    async def aclose(self) -> None:
        """Stop local runs; they are recorded as interrupted."""
        await self.runner.aclose()

    def summary(self, row: ApprovalRequest) -> dict[str, Any]:
        """Return a short JSON-ready description of a request."""
        return {"id": row.id, "title": row.title, "state": row.state, "env": row.env, "reason": row.reason}
