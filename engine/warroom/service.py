"""Incident channels: request, claim, record, and the incident card's link and pinned copy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Sequence

from sqlalchemy import or_, select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.actor import Actor
from engine.alerts import repo
from engine.alerts.card import CardRoom, IncidentCard
from engine.alerts.messages import INCIDENT_TEMPLATE, message_key
from engine.alerts.notify_stage import EmitFn
from engine.core.clock import Clock
from engine.core.notices import Button, Notice, register_actions
from engine.errors import Conflict, NotFound
from engine.ports import UsergroupDirectory
from engine.store.db import Database
from engine.warroom.config import IncidentChannelConfig
from engine.warroom.naming import channel_name
from engine.warroom.tables import IncidentChannelRow

(OPEN_CHANNEL,) = register_actions("warroom", "warroom.open")  # "Open incident channel"
(POSTMORTEM,) = register_actions("warroom", "postmortem.draft")  # "Postmortem" on resolved incidents
REQUESTED, CREATING, OPEN, FAILED = "requested", "creating", "open", "failed"
CLAIM_TTL_S = 60.0  # a replica that claimed a request and died gives it back after this

# Who else is invited, per incident (the commander, service owners and on-call from engine/oncall).
MemberSource = Callable[[AsyncSession, int], Awaitable[list[str]]]


@dataclass(frozen=True)
class ChannelPlan:
    """What the bot creates: the name to try first and who to invite."""

    incident_id: int
    name: str
    members: list[str]
    attempt: int


def channel_key(incident_id: int) -> str:
    """Return the outbox key of the incident card's copy in its channel."""
    return f"{message_key(incident_id)}:channel"


def enricher(cfg: IncidentChannelConfig, clock: Clock) -> Callable[[AsyncSession, IncidentCard], Awaitable[None]]:
    """Return an alerts enricher: the channel link, its button, auto requests, the Postmortem button."""

    async def enrich(s: AsyncSession, card: IncidentCard) -> None:
        row = await s.get(IncidentChannelRow, card.id)
        resolved = card.status == "resolved"
        if row is not None and row.state == OPEN and row.channel_id:
            card.incident_channel = CardRoom(id=row.channel_id, name=row.channel_name)
        elif not resolved and cfg.enabled and (row is None or row.state == FAILED):
            card.extra_actions.append(Button(action_id=OPEN_CHANNEL, value=str(card.id)))
        if row is None and not resolved and card.severity in cfg.auto_severities:
            # Written with the card in the pipeline's transaction; the bot's job creates the channel.
            s.add(IncidentChannelRow(incident_id=card.id, state=REQUESTED, requested_by="opsbot",
                                     requested_at=clock.now()))
        if resolved:
            card.resolved_actions = [Button(action_id=POSTMORTEM, value=str(card.id))]
    return enrich


def mirror(emit: EmitFn) -> EmitFn:
    """Wrap the outbox emit so every incident card with a channel is also rendered there, pinned."""

    async def emit_both(s: AsyncSession, notices: Sequence[Notice], now: datetime) -> None:
        out: list[Notice] = []
        for notice in notices:
            out.append(notice)
            room = notice.context.get("incident_channel")
            inc_id = notice.context.get("id")
            if (notice.template == INCIDENT_TEMPLATE and isinstance(room, dict) and isinstance(inc_id, int)
                    and notice.key == message_key(inc_id) and room.get("id")):
                # Both cards come from this one context: they cannot disagree.
                copy = IncidentCard.model_validate({**notice.context, "in_incident_channel": True,
                                                    "origin_channel": notice.channel.lstrip("#"), "pin": True})
                out.append(Notice.of(copy, key=channel_key(inc_id), channel=str(room["id"])))
        await emit(s, out, now)
    return emit_both


class IncidentChannels:
    """What the bot calls: request a channel, claim one to create, record what Slack made."""

    def __init__(self, db: Database, cfg: IncidentChannelConfig, clock: Clock, alerts: Any, audit: Any,
                 directory: UsergroupDirectory | None = None, sources: Sequence[MemberSource] = ()) -> None:
        self.db, self.cfg, self.clock, self.alerts, self.audit = db, cfg, clock, alerts, audit
        self.directory = directory
        self.sources = tuple(sources)

    async def get(self, incident_id: int) -> IncidentChannelRow | None:
        """Return the incident's channel record, if one was asked for."""
        async with self.db.session() as s:
            return await s.get(IncidentChannelRow, incident_id)

    async def request(self, incident_id: int, actor: Actor) -> tuple[IncidentChannelRow, bool]:
        """Ask for an incident's channel; return the record and whether this call asked first."""
        async with self.alerts.store.locked() as s:
            inc = await repo.load_incident(s, incident_id)
            if inc is None:
                raise NotFound(f"incident #{incident_id} does not exist", hint="see /ops incidents all")
            row = await s.get(IncidentChannelRow, incident_id)
            if row is not None and row.state != FAILED:
                return row, False
            if not inc.is_open:
                raise Conflict(f"incident #{incident_id} is resolved; no channel is opened for it")
            now = self.clock.now()
            if row is None:
                row = IncidentChannelRow(incident_id=incident_id, state=REQUESTED, requested_by=actor.user_id,
                                         requested_at=now)
            else:  # a failed request is asked again from scratch
                row.state, row.attempts, row.error, row.requested_by = REQUESTED, 0, None, actor.user_id
            s.add(row)
            await s.flush()
            return row, True

    async def pending(self) -> list[int]:
        """Return incidents whose channel is waiting to be created (or whose creator died)."""
        stale = self.clock.now() - timedelta(seconds=CLAIM_TTL_S)
        async with self.db.session() as s:
            rows = await s.execute(select(col(IncidentChannelRow.incident_id)).where(or_(
                col(IncidentChannelRow.state) == REQUESTED,
                (col(IncidentChannelRow.state) == CREATING) & (col(IncidentChannelRow.claimed_at) < stale)))
                .order_by(col(IncidentChannelRow.incident_id)).limit(20))
            return [int(r) for r in rows.scalars()]

    async def claim(self, incident_id: int) -> ChannelPlan | None:
        """Take one request to create (compare-and-set); None when another replica has it or it is done."""
        now = self.clock.now()
        stale = now - timedelta(seconds=CLAIM_TTL_S)
        async with self.db.session() as s:
            done = await s.execute(update(IncidentChannelRow).where(
                col(IncidentChannelRow.incident_id) == incident_id, or_(
                    col(IncidentChannelRow.state) == REQUESTED,
                    (col(IncidentChannelRow.state) == CREATING) & (col(IncidentChannelRow.claimed_at) < stale)))
                .values(state=CREATING, claimed_at=now, attempts=IncidentChannelRow.attempts + 1))
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = await s.get(IncidentChannelRow, incident_id)
            inc = await repo.load_incident(s, incident_id)
            if row is None or inc is None:
                return None
            members = await self._members(s, incident_id, row)
            return ChannelPlan(incident_id, channel_name(self.cfg.prefix, incident_id, inc.title), members,
                               row.attempts)

    async def _members(self, s: AsyncSession, incident_id: int, row: IncidentChannelRow) -> list[str]:
        found: list[str] = []
        if row.requested_by.startswith("U"):
            found.append(row.requested_by)
        found += self.cfg.invite_users
        for group in self.cfg.invite_groups:
            if self.directory is not None:
                found += await self.directory.usergroup_members(group)
        for source in self.sources:
            found += await source(s, incident_id)
        return list(dict.fromkeys(found))  # once each, in order

    async def opened(self, incident_id: int, channel_id: str, name: str) -> None:
        """Record the created channel and re-render the card (a link) and its pinned copy."""
        async with self.alerts.store.locked() as s:
            row = await s.get(IncidentChannelRow, incident_id)
            if row is None:
                raise NotFound(f"no channel was requested for incident #{incident_id}")
            now = self.clock.now()
            row.state, row.channel_id, row.channel_name, row.opened_at, row.error = OPEN, channel_id, name, now, None
            s.add(row)
            await s.flush()
            await self._rerender(s, incident_id, now)
            await self.audit.append(s, actor=row.requested_by or "opsbot", action="incident.channel_opened",
                                    subject=f"incident:{incident_id}", data={"channel": channel_id, "name": name})

    async def failed(self, incident_id: int, error: str) -> bool:
        """Record a failed attempt; return True when the request is given up (the button comes back)."""
        async with self.alerts.store.locked() as s:
            row = await s.get(IncidentChannelRow, incident_id)
            if row is None:
                return True
            final: bool = row.attempts >= self.cfg.max_attempts
            row.state, row.error = (FAILED if final else REQUESTED), error[:300]
            s.add(row)
            if final:
                await s.flush()
                await self._rerender(s, incident_id, self.clock.now())
            return final

    async def _rerender(self, s: AsyncSession, incident_id: int, now: datetime) -> None:
        # Through the alerts pipeline's enrich and notify: every extension and enricher applies.
        await self.alerts.render_card(s, incident_id, now)
