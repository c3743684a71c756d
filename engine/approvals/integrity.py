"""Check that a stored request is the plan that was requested, before anyone acts on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.approvals import store
from engine.approvals.tables import ApprovalRequest, ApprovalVote
from engine.approvals.types import CONFLICT, REQUESTED, plan_hash
from engine.approvals.view import request_notice
from engine.audit.chain import event_hash
from engine.audit.tables import AuditEvent
from engine.core.clock import utc
from engine.core.outbox import emit

REQUESTED_EVENT = "approval.requested"
REFUSED = "refused: "  # how a reason starts when the plan failed these checks (not merely stale)


def plan_mismatch(row: ApprovalRequest) -> str | None:
    """Return why the row's plan differs from its recorded hash (or its kind/env columns), or None."""
    plan = row.plan if isinstance(row.plan, dict) else {}
    if plan_hash(plan) != row.plan_hash:
        return "the stored plan does not match the hash it was requested with (it was edited)"
    if plan.get("kind") != row.kind or plan.get("env") != row.env:
        return "the request's kind or environment differs from its hashed plan (the row was edited)"
    return None


async def audit_mismatch(session: AsyncSession, row: ApprovalRequest) -> str | None:
    """Return why the audit trail does not vouch for the row's plan hash, or None.

    The hash recorded in the `approval.requested` event sits in the hash chain: changing a plan
    and its hash together also means rewriting that event and every event after it, which
    `opsbot audit verify` against an anchored head reports."""
    subject = f"approval:{row.id}"
    event = (await session.exec(select(AuditEvent).where(
        col(AuditEvent.subject) == subject, col(AuditEvent.action) == REQUESTED_EVENT)
        .order_by(col(AuditEvent.seq)).limit(1))).first()
    if event is None:
        return "the audit log has no record of this request"
    recorded = (event.data or {}).get("plan_hash")
    digest = event_hash(seq=event.seq, at=utc(event.at), actor=event.actor, actor_name=event.actor_name,
                        action=event.action, subject=event.subject, data=event.data, prev_hash=event.prev_hash)
    if digest != event.hash:
        return f"the audit event recording this request (seq {event.seq}) was edited"
    nxt = (await session.exec(select(AuditEvent.prev_hash).where(col(AuditEvent.seq) == event.seq + 1))).first()
    if nxt is not None and nxt != event.hash:
        return f"the audit chain after the request's event (seq {event.seq}) was rewritten"
    if recorded != row.plan_hash:
        return "the plan hash differs from the one recorded in the audit log when it was requested"
    return None


async def integrity_problem(session: AsyncSession, row: ApprovalRequest) -> str | None:
    """Return why the stored request cannot be trusted to be the requested plan, or None."""
    return plan_mismatch(row) or await audit_mismatch(session, row)


async def close_tampered(session: AsyncSession, audit: Any, row: ApprovalRequest, votes: list[ApprovalVote],
                         actor: Any, problem: str, now: datetime) -> ApprovalRequest:
    """Move a pending request whose plan fails its checks to conflict, audited and shown; return it."""
    reason = REFUSED + problem
    await store.cas(session, row.id or 0, REQUESTED, state=CONFLICT, reason=reason, updated_at=now, finished_at=now)
    closed = await store.load(session, row.id or 0)
    assert closed is not None  # this transaction holds the row it just updated
    row = closed
    await emit(session, request_notice(row, votes), now)
    await audit.append(session, actor=actor, action="approval.conflict", subject=f"approval:{row.id}",
                       data={"reason": reason, "refused": "plan_integrity"})
    return row
