"""What incident command reads from on-call and incident roles: channel members, Home items.

Incident channels invite the incident's commander and, when the on-call names Slack user ids,
the owning team's on-call; the Home tab lists the incidents a person commands or whose owning
team they are on call for, and the on-call of every team. The composition root hands these to
engine/warroom and engine/home.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.actor import Actor
from engine.alerts.config import AlertsConfig
from engine.alerts.tables import IncidentRow
from engine.errors import OpsError
from engine.home.service import IncidentRoleSource, OnCallSource
from engine.oncall.service import OncallService
from engine.warroom.service import MemberSource

SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")  # on-call names that are Slack user ids can be invited
OPEN_SCANNED = 200  # open incidents read for the on-call role, newest first


def names_you(actor: Actor, people: Iterable[str]) -> bool:
    """Return True when an on-call entry names this person: by Slack user id, Slack name or real name.

    Schedules name people "as they should read on the card" (docs/oncall.md): a Slack name in a
    rotation, a full name in an exported calendar.
    """
    names = {n.strip().casefold() for n in (actor.name, *actor.aliases) if n and n.strip()}
    return any(p == actor.user_id or p.strip().casefold() in names for p in people)


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


async def commanded(s: AsyncSession, actor: Actor) -> dict[int, str]:
    """Return the open incidents a person commands (a Home role source)."""
    rows = (await s.exec(select(IncidentRow.id).where(col(IncidentRow.commander) == actor.user_id,
                                                      col(IncidentRow.status) != "resolved"))).all()
    return {int(i): "commander" for i in rows if i is not None}


def on_call_for(alerts_cfg: AlertsConfig, oncall: OncallService) -> IncidentRoleSource:
    """Return a Home role source: the open incidents owned by a team this person is on call for."""

    async def roles(s: AsyncSession, actor: Actor) -> dict[int, str]:
        teams = set()
        for team in oncall.teams:
            try:  # as the tab's on-call section: calendars are read on first use, then kept
                (answer,) = await oncall.who(team)
            except OpsError:  # a calendar that cannot be read leaves out that team's incidents only
                continue
            if names_you(actor, answer.people):
                teams.add(team)
        if not teams:
            return {}
        rows = (await s.exec(select(IncidentRow.id, IncidentRow.lead).where(col(IncidentRow.status) != "resolved")
                             .order_by(col(IncidentRow.id).desc()).limit(OPEN_SCANNED))).all()
        out = {}
        for inc_id, lead in rows:
            owner = alerts_cfg.owner_of(((lead or {}).get("labels")) or {})
            if inc_id is not None and owner is not None and owner.team in teams:
                out[int(inc_id)] = f"on call for {owner.team}"
        return out

    return roles


def oncall_entries(oncall: OncallService) -> OnCallSource:
    """Return a Home on-call source: every team's current on-call, from what is loaded."""

    async def entries(s: AsyncSession, actor: Actor) -> list[dict[str, Any]]:
        try:
            answers = await oncall.who()
        except OpsError:  # a calendar that cannot be read leaves the Home tab without it
            return []
        return [{"team": a.team, "users": list(a.people), "you": names_you(actor, a.people)} for a in answers]

    return entries
