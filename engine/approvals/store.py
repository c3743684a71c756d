"""Row access for approvals: compare-and-set transitions and reads."""

from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.approvals.tables import ApprovalRequest, ApprovalVote
from engine.approvals.types import TRANSITIONS
from engine.core.clock import utc


async def cas(session: AsyncSession, request_id: int, expected: str | Iterable[str], *,
              owner: str | None = None, **values: Any) -> bool:
    """Set values where the row is still in an expected state (and owner); return True if this caller won."""
    states = [expected] if isinstance(expected, str) else list(expected)
    new = values.get("state")
    if new is not None:
        for s in states:
            assert new in TRANSITIONS.get(s, frozenset()) or new == s, f"illegal transition {s} -> {new}"
    stmt = (update(ApprovalRequest)
            .where(col(ApprovalRequest.id) == request_id, col(ApprovalRequest.state).in_(states))
            .values(version=col(ApprovalRequest.version) + 1, **values))
    if owner is not None:
        stmt = stmt.where(col(ApprovalRequest.owner) == owner)
    result = await session.exec(stmt)
    return result.rowcount == 1


async def lock(session: AsyncSession, request_id: int) -> bool:
    """Take the row's write lock first thing in a transaction (PostgreSQL row lock, SQLite write lock)."""
    # A no-op-ish write is the one statement both dialects serialize on, and doing it before
    # any read means nothing we decide on afterwards can be stale.
    stmt = (update(ApprovalRequest).where(col(ApprovalRequest.id) == request_id)
            .values(version=col(ApprovalRequest.version) + 1))
    return (await session.exec(stmt)).rowcount == 1


async def load(session: AsyncSession, request_id: int) -> ApprovalRequest | None:
    """Return the row with times normalized to UTC, fresh from the database."""
    row = (await session.exec(select(ApprovalRequest).where(col(ApprovalRequest.id) == request_id)
                              .execution_options(populate_existing=True))).first()
    if row is not None:
        session.expunge(row)  # a read-only snapshot: normalizing times must not become a write
        for name in ("created_at", "expires_at", "updated_at", "lease_until", "started_at", "finished_at"):
            value = getattr(row, name)
            if value is not None:
                setattr(row, name, utc(value))
    return row


async def votes(session: AsyncSession, request_id: int) -> list[ApprovalVote]:
    """Return the votes on a request, oldest first."""
    rows = (await session.exec(select(ApprovalVote).where(col(ApprovalVote.request_id) == request_id)
                               .order_by(col(ApprovalVote.id)))).all()
    for v in rows:
        session.expunge(v)
        v.at = utc(v.at)
    return list(rows)
