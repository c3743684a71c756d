"""What incident command reads from on-call and incident roles: channel members, Home items.

Incident channels invite the incident's commander and, when the on-call names Slack user ids,
the owning team's on-call; the Home tab lists the incidents a person commands and the on-call
of every team. The composition root hands these to engine/warroom and engine/home.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.alerts.config import AlertsConfig
from engine.alerts.tables import IncidentRow
from engine.errors import OpsError
from engine.home.service import OnCallSource
from engine.oncall.service import OncallService
from engine.warroom.service import MemberSource

SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")  # on-call names that are Slack user ids can be invited


def channel_members(alerts_cfg: AlertsConfig, oncall: OncallService) -> MemberSource:
    """Return a member source: the incident's commander and its owning team's on-call (user ids)."""

    async def members(s: AsyncSession, incident_id: int) -> list[str]:
        row = await s.get(IncidentRow, incident_id)
        if row is None:
            return []
        out = [row.commander] if row.commander else []
        owner = alerts_cfg.owner_of(((row.lead or {}).get("labels")) or {})
        if owner is not None:
            answer = oncall.now_for(owner.team, oncall.clock.now())
            out += [p for p in (answer.people if answer else ()) if SLACK_USER.match(p)]
        return out

    return members


async def commanded(s: AsyncSession, user_id: str) -> dict[int, str]:
    """Return the open incidents a person commands (a Home role source)."""
    rows = (await s.exec(select(IncidentRow.id).where(col(IncidentRow.commander) == user_id,
                                                      col(IncidentRow.status) != "resolved"))).all()
    return {int(i): "commander" for i in rows if i is not None}


def oncall_entries(oncall: OncallService) -> OnCallSource:
    """Return a Home on-call source: every team's current on-call, from what is loaded."""

    async def entries(s: AsyncSession, user_id: str) -> list[dict[str, Any]]:
        try:
            answers = await oncall.who()
        except OpsError:  # a calendar that cannot be read leaves the Home tab without it
            return []
        return [{"team": a.team, "users": list(a.people), "you": user_id in a.people} for a in answers]

    return entries
