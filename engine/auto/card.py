"""What auto-remediation adds to an incident's card: a failed run's status and the runbook's Run... button."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.auto.breaker import SUCCEEDED
from engine.auto.tables import AutoFire

TEXT = {"rolled_back": "auto-remediation failed, rolled back", "failed": "auto-remediation failed",
        "halted": "auto-remediation stopped by the kill switch", "refused": "auto-remediation refused"}


async def enrich_incident(s: AsyncSession, context: dict[str, Any]) -> None:
    """Add the latest unsuccessful automatic run to the incident card (an alerts enricher)."""
    incident_id = context.get("id")
    if not isinstance(incident_id, int):
        return
    fire = (await s.exec(select(AutoFire).where(col(AutoFire.incident_id) == incident_id,
                                               col(AutoFire.mode) == "auto", col(AutoFire.outcome) != "")
                         .order_by(col(AutoFire.id).desc()).limit(1))).first()
    if fire is None or fire.outcome == SUCCEEDED:
        return
    context["auto_status"] = f"{TEXT.get(fire.outcome, 'auto-remediation ' + fire.outcome)} " \
                                    f"({fire.runbook}, trigger {fire.trigger_id})"
    runbooks = list(context.get("suggested_runbooks") or [])
    if fire.runbook not in runbooks:  # the manual Run... button of the runbook that failed
        context["suggested_runbooks"] = [fire.runbook, *runbooks]
