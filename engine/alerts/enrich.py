"""Enrich stage: what other features add to an incident's message, declared at construction.

Extensions add from the message context alone (runbook suggestions, buttons); enrichers read
the store in the transaction's session (RCA's likely cause). The composition root hands both
in when it builds the alert service; nothing patches the pipeline afterwards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable, Callable, Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from engine.alerts.config import AlertsConfig
from engine.alerts.card import IncidentCard
from engine.alerts.messages import MessageExtension, incident_card
from engine.alerts.notify import card_renders
from engine.alerts.types import Incident

if TYPE_CHECKING:
    from engine.alerts.lifecycle import Change
    from engine.alerts.flow import Flow

log = logging.getLogger("opsbot.alerts")

# Reads the store in the transaction's session and sets typed fields of an incident's card.
ContextEnricher = Callable[[AsyncSession, IncidentCard], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class EnrichDecision:
    """Whether an incident's message is built (and so enriched) this transaction, and why."""

    name: str  # enrich | skip
    reason: str


def decide_enrich(inc: Incident, changes: list[Change] | None) -> EnrichDecision:
    """Enrich exactly the messages the notify stage will render; `changes` None: a stale card."""
    if changes is None:
        return (EnrichDecision("enrich", "stale card re-rendered") if inc.posted
                else EnrichDecision("skip", "never posted"))
    why = card_renders(inc, changes)
    return EnrichDecision("enrich", why) if why else EnrichDecision("skip", "no message rendered")


class EnrichStage:
    """Builds each rendered incident message's context and runs the declared additions on it."""

    name = "enrich"

    def __init__(self, cfg: AlertsConfig, extensions: Sequence[MessageExtension] = (),
                 enrichers: Sequence[ContextEnricher] = ()) -> None:
        self.cfg, self.extensions, self.enrichers = cfg, tuple(extensions), tuple(enrichers)

    async def card(self, session: AsyncSession, inc: Incident) -> IncidentCard:
        """Return an incident's card with every declared addition applied."""
        ctx = incident_card(inc, self.cfg)
        for extend in self.extensions:
            try:
                extend(ctx)
            except Exception:  # an extra button must never cost an alert (the batch would 5xx)
                log.exception("incident message extension failed", extra={"incident": inc.id})
        for enrich in self.enrichers:  # a failure here is a store failure: let the batch retry
            await enrich(session, ctx)
        return ctx

    async def run(self, flow: Flow) -> None:
        """Build the enriched context of every incident message this transaction renders."""
        touched = [(flow.state.incidents[i], c) for i, c in flow.out.changes.items()]
        for inc, changes in touched + [(inc, None) for inc in flow.stale.values()]:
            if decide_enrich(inc, changes).name == "enrich":
                flow.cards[inc.id] = await self.card(flow.session, inc)
