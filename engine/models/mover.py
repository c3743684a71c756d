"""Move an alias so that it either moved and was recorded, or neither: intent, move, confirm.

A crash between steps leaves an `intent` row; `reconcile` (run by the registry watch)
settles it from what the registry shows: alias at the target -> done, else failed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.approvals.supersede import supersede_pending
from engine.audit import AuditLog
from engine.core.clock import Clock, utc
from engine.errors import Conflict, OpsError, Unavailable
from engine.models.cards import refresh_version_cards
from engine.models.request_cards import mark_replaced
from engine.ports import ModelRegistry
from engine.models.tables import DONE, FAILED, INTENT, AliasChange, SeenAlias
from engine.store.db import Database

log = logging.getLogger("opsbot.models")


@dataclass(frozen=True)
class MoveRequest:
    """Everything recorded with one alias change made by opsbot."""

    model: str
    alias: str
    to_version: int
    from_version: int | None
    kind: str  # promote | rollback
    actor_id: str
    actor_name: str = ""
    approval_id: int | None = None
    approvals: list[dict[str, Any]] = field(default_factory=list)
    gates: list[dict[str, Any]] = field(default_factory=list)
    override_reason: str | None = None


async def remember_alias(s: AsyncSession, model: str, alias: str, version: int | None, now: datetime) -> None:
    """Record the alias as opsbot now knows it, so the watch does not report it as outside."""
    row = await s.get(SeenAlias, (model, alias))
    if version is None:
        if row is not None:
            await s.delete(row)
    elif row is None:
        s.add(SeenAlias(model=model, alias=alias, version=version, seen_at=now))
    else:
        row.version, row.seen_at = version, now
        s.add(row)


ALIAS_KIND = "model_alias"
# Called with (session, the recorded move, now) inside the move's transaction.
AfterMove = Callable[[AsyncSession, AliasChange, datetime], Awaitable[None]]  # the approval kind of an alias move (executor.AliasExecutor runs it)


async def supersede_alias_requests(s: AsyncSession, audit: AuditLog, model: str, alias: str, holder: int | None,
                                   now: datetime) -> list[int]:
    """Cancel pending requests to move this alias that were planned from another holder than `holder`."""
    # Their cards would keep offering "to v5 (now v2)" after v5 became champion another way, and
    # their frozen plan could no longer run (the executor refuses a changed from_version).
    def stale(row: Any) -> bool:
        p, t = row.plan.get("parameters", {}), row.plan.get("targets", {})
        return bool(p.get("model") == model and p.get("alias") == alias and t.get("from_version") != holder)

    # Past tense: the cancelled card is never re-rendered, and the alias may move again.
    now_holds = f"moved to v{holder}" if holder is not None else "was removed"
    return await supersede_pending(s, audit, ALIAS_KIND, stale,
                                   f"superseded: `{alias}` {now_holds} since this was requested; ask again if still needed",
                                   now)


class AliasMover:
    """Moves aliases in the registry and records each move in the same breath."""

    def __init__(self, db: Database, registry: ModelRegistry, audit: AuditLog, clock: Clock,
                 intent_grace_s: float = 120.0) -> None:
        self.db, self.registry, self.audit, self.clock = db, registry, audit, clock
        self.intent_grace = timedelta(seconds=intent_grace_s)
        # Other features' messages that offer to move this alias (an RCA rollback button) are
        # re-rendered by these, in the transaction that records each move (the composition root adds them).
        self.after_move: list[AfterMove] = []

    async def moved(self, s: AsyncSession, change: AliasChange, now: datetime) -> None:
        """Re-render every message a recorded move changes: version cards, the replaced request, hooks."""
        await refresh_version_cards(s, change.model, {change.from_version, change.to_version}, now)
        await mark_replaced(s, change, now)
        for hook in self.after_move:
            await hook(s, change, now)

    async def _current(self, model: str, alias: str) -> int | None:
        return (await self.registry.get_model(model)).aliases.get(alias)

    async def move(self, req: MoveRequest) -> AliasChange:
        """Record intent, move the alias, confirm it and record done; compensate on failure."""
        now = self.clock.now()
        async with self.db.session() as s:
            change = AliasChange(model=req.model, alias=req.alias, from_version=req.from_version,
                                 to_version=req.to_version, kind=req.kind, state=INTENT, actor_id=req.actor_id,
                                 actor_name=req.actor_name, approval_id=req.approval_id,
                                 approvals=req.approvals, gates=req.gates,
                                 override_reason=req.override_reason, created_at=now)
            s.add(change)
        try:
            await self.registry.set_alias(req.model, req.alias, req.to_version)
        except OpsError as exc:
            # The call may have landed before it failed (a timeout): look before deciding.
            try:
                landed = await self._current(req.model, req.alias) == req.to_version
            except OpsError:
                raise Unavailable(f"could not confirm the move of `{req.alias}` on {req.model}: {exc.message}",
                                  hint="the next registry watch cycle will settle it") from exc
            if not landed:
                await self._settle(change.id or 0, FAILED, error=exc.message)
                raise
        try:
            return await self._confirm(change, req)
        except Exception as exc:
            await self._compensate(req)
            raise Unavailable(f"moved `{req.alias}` on {req.model} but could not record it, so moved it back",
                              hint=str(exc)[:200]) from exc

    async def _confirm(self, change: AliasChange, req: MoveRequest) -> AliasChange:
        now = self.clock.now()
        async with self.db.session() as s:
            row = await s.get(AliasChange, change.id)
            assert row is not None
            row.state, row.confirmed_at = DONE, now
            s.add(row)
            await remember_alias(s, req.model, req.alias, req.to_version, now)
            await self.moved(s, row, now)
            await supersede_alias_requests(s, self.audit, req.model, req.alias, req.to_version, now)
            await self.audit.append(s, actor=req.actor_id, action=f"model.{req.kind}", subject=f"model:{req.model}",
                                    data={"alias": req.alias, "from": req.from_version, "to": req.to_version,
                                          "approval": req.approval_id, "override_reason": req.override_reason,
                                          "change": row.id})
        return row

    async def _compensate(self, req: MoveRequest) -> None:
        try:
            if req.from_version is None:
                await self.registry.delete_alias(req.model, req.alias)
            else:
                await self.registry.set_alias(req.model, req.alias, req.from_version)
        except OpsError:
            log.exception("compensation failed; the watch will record the move", extra={"model": req.model})

    async def _settle(self, change_id: int, state: str, error: str | None = None) -> None:
        async with self.db.session() as s:
            row = await s.get(AliasChange, change_id)
            if row is not None and row.state == INTENT:
                row.state, row.error, row.confirmed_at = state, error, self.clock.now()
                s.add(row)
                if state == DONE:
                    await remember_alias(s, row.model, row.alias, row.to_version, self.clock.now())
                    await self.moved(s, row, self.clock.now())

    async def pending_intents(self, now: datetime, model: str | None = None) -> list[AliasChange]:
        """Return intents old enough that their mover must have finished or died."""
        async with self.db.session() as s:
            q = select(AliasChange).where(col(AliasChange.state) == INTENT)
            if model:
                q = q.where(col(AliasChange.model) == model)
            rows = (await s.exec(q.order_by(col(AliasChange.id)))).all()
        return [r for r in rows if utc(r.created_at) + self.intent_grace <= now]

    async def reconcile(self, now: datetime, aliases: dict[str, dict[str, int]]) -> int:
        """Settle stale intents from current aliases (model -> alias -> version); return how many."""
        settled = 0
        for row in await self.pending_intents(now):
            if row.model not in aliases:
                continue
            landed = aliases[row.model].get(row.alias) == row.to_version
            await self._settle(row.id or 0, DONE if landed else FAILED,
                               None if landed else "the move did not land (settled by the registry watch)")
            settled += 1
        return settled

    async def in_flight(self, model: str, alias: str, version: int | None) -> bool:
        """Return True when an unsettled opsbot move of this alias to `version` exists."""
        async with self.db.session() as s:
            row = (await s.exec(select(AliasChange.id).where(
                col(AliasChange.state) == INTENT, col(AliasChange.model) == model,
                col(AliasChange.alias) == alias, col(AliasChange.to_version) == version))).first()
        return row is not None


def conflict_if_moved(model: str, alias: str, expected: int | None, current: int | None) -> None:
    """Raise Conflict when the alias no longer points where the plan expected."""
    if expected != current:
        was = f"v{expected}" if expected is not None else "unset"
        now = f"v{current}" if current is not None else "unset"
        raise Conflict(f"`{alias}` of {model} moved from {was} to {now} since the request",
                       hint="look at the new state and request again")
