"""Cancel pending requests whose frozen plan the world has moved past (say, the alias they would move)."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.approvals import store
from engine.approvals.tables import ApprovalRequest
from engine.approvals.types import APPROVED, CANCELLED, REQUESTED
from engine.approvals.view import request_notice
from engine.audit import AuditLog
from engine.core.outbox import emit


async def supersede_pending(s: AsyncSession, audit: AuditLog, kind: str, stale: Callable[[ApprovalRequest], bool],
                            reason: str, now: datetime) -> list[int]:
    """Cancel the not-yet-running requests of `kind` that `stale` picks, re-render their cards; return their ids."""
    # A request that already runs is left to its executor, whose precondition check refuses a stale plan.
    rows = (await s.exec(select(ApprovalRequest).where(
        col(ApprovalRequest.kind) == kind, col(ApprovalRequest.state).in_((REQUESTED, APPROVED))))).all()
    done: list[int] = []
    for row in rows:
        if row.id is None or not stale(row):
            continue
        if not await store.cas(s, row.id, (REQUESTED, APPROVED), state=CANCELLED, reason=reason,
                               updated_at=now, finished_at=now):
            continue  # it moved on (a vote, a run) in the meantime
        fresh = await store.load(s, row.id)
        assert fresh is not None
        await emit(s, request_notice(fresh, await store.votes(s, row.id)), now)
        await audit.append(s, actor="opsbot", action="approval.superseded", subject=f"approval:{row.id}",
                           data={"reason": reason})
        done.append(row.id)
    return done
