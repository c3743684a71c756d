"""An alias move's message stays true after the alias moves on: it says what replaced its version.

The card of a succeeded promote or rollback reads "moved `champion` v2 -> v5". Once the alias moves
again, the message of the move that set the previous holder gets one more line, "Since then
`champion` moved to v2 (rollback by bob, request #5)", so none keeps reading as if its version still
held the alias. A move seen outside Opsbot also loses its "Roll back to vN" button then: the alias
it would undo has moved on.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.approvals import store
from engine.approvals.types import SUCCEEDED
from engine.approvals.view import request_notice
from engine.core.outbox import emit
from engine.core.outbox_tables import OutboxItem
from engine.models.messages import AliasMovedOutside
from engine.models.tables import DONE, OUTSIDE_ACTOR, AliasChange


def replaced_text(change: AliasChange) -> str:
    """Say what a later alias change did, for the card of the request it replaced."""
    to = f"moved to v{change.to_version}" if change.to_version is not None else "was removed"
    if change.kind == "outside" or change.actor_name == OUTSIDE_ACTOR:
        how = "outside Opsbot"
    else:
        how = f"{change.kind} by {change.actor_name or change.actor_id}"
        if change.approval_id is not None:
            how += f", request #{change.approval_id}"
    return f"`{change.alias}` {to} ({how})"


async def latest_move(s: AsyncSession, model: str, alias: str) -> AliasChange | None:
    """Return the newest recorded move of a model's alias, or None if none was recorded."""
    return (await s.exec(select(AliasChange).where(
        col(AliasChange.model) == model, col(AliasChange.alias) == alias, col(AliasChange.state) == DONE)
        .order_by(col(AliasChange.id).desc()).limit(1))).first()


async def mark_replaced(s: AsyncSession, change: AliasChange, now: datetime) -> int | None:
    """Re-render the card of the request whose version `change` replaced; return that request's id."""
    await s.flush()  # `change` needs its id, and the caller's writes must be visible below
    prev = (await s.exec(select(AliasChange).where(
        col(AliasChange.model) == change.model, col(AliasChange.alias) == change.alias,
        col(AliasChange.state) == DONE, col(AliasChange.id) < (change.id or 0))
        .order_by(col(AliasChange.id).desc()).limit(1))).first()
    if prev is None or prev.to_version != change.from_version:
        return None
    if prev.kind == "outside":
        await _mark_outside_notice(s, prev, change, now)
        return None
    if prev.approval_id is None:
        return None
    row = await store.load(s, prev.approval_id)
    if row is None or row.id is None or row.state != SUCCEEDED:
        return None
    later = {"text": replaced_text(change), "at": (change.confirmed_at or now).isoformat(timespec="seconds")}
    if not await store.cas(s, row.id, SUCCEEDED, result=dict(row.result) | {"later": later}):
        return None
    fresh = await store.load(s, row.id)
    assert fresh is not None
    await emit(s, request_notice(fresh, await store.votes(s, row.id)), now)
    return row.id


async def _mark_outside_notice(s: AsyncSession, prev: AliasChange, change: AliasChange, now: datetime) -> None:
    """Re-render the notice of an outside move that `change` replaced: no rollback, what happened since."""
    key = f"model:{prev.model}:change:{prev.id}"
    last = (await s.exec(select(OutboxItem).where(col(OutboxItem.key) == key,
                                                  col(OutboxItem.template) == AliasMovedOutside.TEMPLATE)
                         .order_by(col(OutboxItem.id).desc()).limit(1))).first()
    if last is None:
        return
    later = AliasMovedOutside.model_validate(last.context).model_copy(update={
        "buttons": [], "later": replaced_text(change),
        "later_at": (change.confirmed_at or now).isoformat(timespec="seconds")})
    s.add(OutboxItem(key=key, channel=last.channel, template=last.template, thread_key=last.thread_key,
                     context=later.as_context(), created_at=now, due_at=now))
