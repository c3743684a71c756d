"""What auto-remediation adds to an incident's card: a failed run's status and the runbook's Run... button."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.alerts.card import IncidentCard, SuggestedRunbook
from engine.auto.breaker import SUCCEEDED
from engine.auto.tables import AutoFire

TEXT = {"rolled_back": "auto-remediation failed, rolled back", "failed": "auto-remediation failed",
        "halted": "auto-remediation stopped by the kill switch", "refused": "auto-remediation refused"}


async def enrich_incident(s: AsyncSession, card: IncidentCard) -> None:
    """Add the latest unsuccessful automatic run to the incident card (an alerts enricher)."""
    incident_id = card.id
    fire = (await s.exec(select(AutoFire).where(col(AutoFire.incident_id) == incident_id,
                                               col(AutoFire.mode) == "auto", col(AutoFire.outcome) != "")
                         .order_by(col(AutoFire.id).desc()).limit(1))).first()
    if fire is None or fire.outcome == SUCCEEDED:
        return
    card.auto_status = f"{TEXT.get(fire.outcome, 'auto-remediation ' + fire.outcome)} " \
                       f"({fire.runbook}, trigger {fire.trigger_id})"
    if fire.runbook not in [r.name for r in card.suggested_runbooks]:  # the Run... button of the runbook that failed
        card.suggested_runbooks = [SuggestedRunbook(name=fire.runbook), *card.suggested_runbooks]
