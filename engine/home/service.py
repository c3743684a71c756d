"""The Home tab's items for one person, and the people whose Home tab should be re-published."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Sequence

from sqlalchemy import delete, select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.actor import Actor
from engine.alerts.tables import DecisionRow, IncidentRow
from engine.approvals.tables import ApprovalRequest, ApprovalVote
from engine.approvals.types import REQUESTED
from engine.core.clock import Clock
from engine.models.tables import AliasChange, SeenAlias
from engine.store.db import Database
from engine.home.tables import HomeViewer
from engine.warroom.tables import IncidentChannelRow

RECENT_MOVES = timedelta(days=7)
MAX_ITEMS = 10  # per section; the tab stays well under Slack's 100 blocks
MAX_VIEWERS = 500  # Home tabs re-published per change, the most recently opened first

# Another feature's answer for one person: incident ids they command or are on call for, the on-call.
IncidentRoleSource = Callable[[AsyncSession, Actor], Awaitable[dict[int, str]]]
OnCallSource = Callable[[AsyncSession, Actor], Awaitable[list[dict[str, Any]]]]


@dataclass
class HomeItems:
    """One person's Home tab, as data (templates/slack/home/home.json.j2 renders it)."""

    user_id: str
    approvals: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    oncall: list[dict[str, Any]] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    at: str = ""


class Home:
    """Reads a person's items; remembers who opened the tab so changes re-publish it."""

    def __init__(self, db: Database, clock: Clock, policy: Any, *, roles: Sequence[IncidentRoleSource] = (),
                 oncall: Sequence[OnCallSource] = ()) -> None:
        self.db, self.clock, self.policy = db, clock, policy
        self.roles, self.oncall = tuple(roles), tuple(oncall)

    async def items(self, actor: Actor) -> HomeItems:
        """Return what `actor` has waiting: approvals, incidents, on-call, recent alias moves."""
        now = self.clock.now()
        out = HomeItems(actor.user_id, at=now.isoformat())
        async with self.db.session() as s:
            out.approvals = await self._approvals(s, actor)
            out.incidents = await self._incidents(s, actor)
            for source in self.oncall:
                out.oncall += await source(s, actor)
            moves = (await s.execute(select(AliasChange).where(
                col(AliasChange.actor_id) == actor.user_id, col(AliasChange.state) == "done",
                col(AliasChange.created_at) >= now - RECENT_MOVES)
                .order_by(col(AliasChange.id).desc()).limit(MAX_ITEMS))).scalars().all()
            # Where each alias points now: a move later undone (a rollback) must not read as current.
            holders = {(a.model, a.alias): a.version for a in (await s.execute(select(SeenAlias).where(
                col(SeenAlias.model).in_({m.model for m in moves})))).scalars()} if moves else {}
            out.models = [{"model": m.model, "alias": m.alias, "from": m.from_version, "to": m.to_version,
                           "kind": m.kind, "at": m.created_at.isoformat(), "now": holders.get((m.model, m.alias))}
                          for m in moves]
        return out

    async def _approvals(self, s: AsyncSession, actor: Actor) -> list[dict[str, Any]]:
        rows = (await s.execute(select(ApprovalRequest).where(
            col(ApprovalRequest.state) == REQUESTED, col(ApprovalRequest.requester) != actor.user_id)
            .order_by(col(ApprovalRequest.id)).limit(100))).scalars().all()
        voted = set((await s.execute(select(col(ApprovalVote.request_id)).where(
            col(ApprovalVote.user_id) == actor.user_id))).scalars())
        out = []
        for r in rows:
            # The same check the Approve button makes: only what this person may approve.
            if r.id in voted or not await self.policy.holds_any(actor, r.approver_roles):
                continue
            out.append({"id": r.id, "title": r.title, "env": r.env, "requester": r.requester,
                        "requester_name": r.requester_name, "expires_at": r.expires_at.isoformat(), "channel": r.channel})
            if len(out) >= MAX_ITEMS:
                break
        return out

    async def _incidents(self, s: AsyncSession, actor: Actor) -> list[dict[str, Any]]:
        roles: dict[int, str] = {}
        for source in self.roles:
            for inc_id, role in (await source(s, actor)).items():
                roles.setdefault(inc_id, role)
        # Without a commander feature, who acknowledged it or asked for its channel leads an incident
        # (decisions keep the user id; the incident row keeps only a display name).
        for row in (await s.execute(select(col(DecisionRow.incident_id)).where(
                col(DecisionRow.stage) == "lifecycle", col(DecisionRow.name) == "acknowledged",
                col(DecisionRow.actor) == actor.user_id).order_by(col(DecisionRow.id).desc()).limit(100))).scalars():
            if row is not None:
                roles.setdefault(int(row), "acknowledged")
        for row in (await s.execute(select(col(IncidentChannelRow.incident_id)).where(
                col(IncidentChannelRow.requested_by) == actor.user_id))).scalars():
            roles.setdefault(int(row), "opened its channel")
        if not roles:
            return []
        found = (await s.execute(select(IncidentRow).where(
            col(IncidentRow.id).in_(list(roles)), col(IncidentRow.status) != "resolved")
            .order_by(col(IncidentRow.id).desc()).limit(MAX_ITEMS))).scalars().all()
        rooms = {r.incident_id: r for r in (await s.execute(select(IncidentChannelRow).where(
            col(IncidentChannelRow.incident_id).in_([i.id for i in found])))).scalars()}
        return [{"id": i.id, "title": i.title, "severity": i.severity, "status": i.status, "role": roles[i.id or 0],
                 "channel_id": rooms[i.id].channel_id if i.id in rooms and rooms[i.id].state == "open" else None}
                for i in found]

    async def opened(self, user_id: str) -> None:
        """Remember that `user_id` looks at the Home tab (their tab is re-published on changes)."""
        now = self.clock.now()
        async with self.db.session() as s:
            row = await s.get(HomeViewer, user_id)
            if row is None:
                s.add(HomeViewer(user_id=user_id, opened_at=now))
            else:
                row.opened_at = now
                s.add(row)
            # Keep the list bounded: the oldest viewers stop getting pushes (they get one on open).
            keep = select(col(HomeViewer.user_id)).order_by(col(HomeViewer.opened_at).desc()).limit(MAX_VIEWERS)
            await s.execute(delete(HomeViewer).where(col(HomeViewer.user_id).not_in(keep.scalar_subquery())))

    async def viewers(self) -> list[str]:
        """Return who opened the Home tab, most recent first."""
        async with self.db.session() as s:
            rows = await s.execute(select(col(HomeViewer.user_id)).order_by(col(HomeViewer.opened_at).desc())
                                   .limit(MAX_VIEWERS))
            return [str(r) for r in rows.scalars()]

    async def published(self, user_id: str, at: datetime) -> None:
        """Record when a person's tab was last published."""
        async with self.db.session() as s:
            await s.execute(update(HomeViewer).where(col(HomeViewer.user_id) == user_id).values(published_at=at))


