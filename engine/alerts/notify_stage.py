"""Notify stage: write what each touched incident's notification decision calls for to the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Awaitable, Callable, Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from engine.alerts.config import AlertsConfig
from engine.alerts.messages import build_notices, card_notice
from engine.alerts.notify import decide_notice
from engine.alerts.types import AlertState, Decision
from engine.core.notices import Notice

if TYPE_CHECKING:
    from engine.alerts.flow import Flow

# Writes notices to the outbox in the caller's transaction, in order (engine.core.outbox.emit_many).
EmitFn = Callable[[AsyncSession, Sequence[Notice], datetime], Awaitable[None]]


class NotifyStage:
    """Writes what each touched incident's decision calls for to the outbox, in the transaction."""

    name = "notify"

    def __init__(self, cfg: AlertsConfig, emit: EmitFn) -> None:
        self.cfg, self.emit = cfg, emit

    async def run(self, flow: Flow) -> None:
        """Decide, build and emit every touched incident's notices; re-render stale cards."""
        state, out, now, cfg = flow.state, flow.out, flow.now, self.cfg
        by_incident: dict[int | None, list[AlertState]] | None = None
        notices: list[Notice] = []  # written with one insert: a storm's transaction has several
        for inc_id, changes in out.changes.items():
            inc = state.incidents[inc_id]
            d = decide_notice(inc, changes, now, cfg)
            members: list[AlertState] = []
            if d.thread:  # only a thread reply lists member alerts
                if by_incident is None:  # one pass for all incidents, built on first need
                    by_incident = {}
                    for a in state.alerts.values():
                        by_incident.setdefault(a.incident_id, []).append(a)
                members = by_incident.get(inc.id, [])
            notices += build_notices(inc, d, changes, members, cfg, now, flow.cards.get(inc.id))
            out.decisions.append(Decision("notify", d.name, d.reason, None, inc.id, d.next_due_at, d.facts))
        for inc_id, old in flow.stale.items():
            if inc_id in flow.cards:
                notices.append(card_notice(old, flow.cards[inc_id]))
        await self.emit(flow.session, notices, now)
