"""People correct grouping: Split and Merge on incident messages, audited, policy-gated, taught to grouping."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Iterable

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.actor import Actor
from engine.alerts import corrections_store as cs
from engine.alerts.corrections import GroupingFeedback, PairCounts, alert_key, replay_corrections, teach
from engine.alerts.types import Incident
from engine.core.bounds import parse_int
from engine.errors import InvalidInput

if TYPE_CHECKING:
    from engine.alerts.card import IncidentCard
    from engine.alerts.service import AlertService
    from engine.audit import AuditLog
    from engine.policy import Policy

log = logging.getLogger("opsbot.alerts")
CORRECT = "incident:correct"  # the policy action; allowed to everyone unless a rule names it
MAX_OPTIONS = 100  # Slack's limit on a select's options
MAX_CHECKBOXES = 10  # Slack's limit on a checkboxes element's options
ALERT, GROUP = "a:", "k:"  # option values: one alert by fingerprint, or every alert of a key


@dataclass(frozen=True)
class Choice:
    """One option of the Split… form: an alert, or (for big incidents) all alerts of one key."""

    value: str
    text: str
    firing: bool


@dataclass(frozen=True)
class SplitForm:
    """What the Split… form offers for an incident."""

    incident: Incident
    choices: list[Choice]
    grouped: bool  # options are alert keys (name on service), not single alerts
    more: int  # options left off (beyond Slack's limit)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def _key_text(labels: dict[str, str], service_label: str) -> str:
    # What a person reads for an alert key: "HighLatency on checkout" (the key itself is name@service).
    name, svc = labels.get("alertname", ""), labels.get(service_label, "")
    return f"{name} on {svc}" if svc else name


def _alert_text(labels: dict[str, str], service_label: str, firing: bool) -> str:
    rest = [f"{k}={v}" for k, v in sorted(labels.items())
            if k not in ("alertname", service_label, "severity")]
    # The key first (the demo and people read it), the resolved mark before the labels that
    # Slack's 75-character option text may cut.
    return _key_text(labels, service_label) + ("" if firing else " (resolved)") + (" " + " ".join(rest) if rest else "")


async def note_merged(s: AsyncSession, card: IncidentCard) -> None:
    """Set `merged_into` on a resolved incident's card whose incident was merged (an enricher)."""
    if card.status == "resolved":
        target = await cs.CorrectionLog.merged_into(s, card.id)
        if target is not None:
            card.merged_into = target


class IncidentCorrections:
    """Split and Merge: store them, audit them, and feed the grouping statistics."""

    def __init__(self, alerts: "AlertService", audit: "AuditLog", policy: "Policy | None", env: str,
                 feedback: GroupingFeedback | None = None) -> None:
        self.alerts, self.audit, self.policy, self.env = alerts, audit, policy, env
        self.feedback: GroupingFeedback = feedback if feedback is not None else PairCounts()
        self.log = cs.CorrectionLog(alerts.store.db)
        self.replayed: int | None = None

    async def replay(self) -> int:
        """Feed every stored correction into the statistics once (at startup); return how many."""
        if self.replayed is None:
            self.replayed = await replay_corrections(self.log, self.feedback)
        return self.replayed

    async def _allow(self, actor: Actor) -> None:
        # Like acknowledge and resolve, open to everyone; an admin restricts it by naming the
        # action in a policy rule, which then decides as for any other action.
        if self.policy is not None and any(fnmatchcase(CORRECT, r.action) for r in self.policy.config.rules):
            await self.policy.check(actor, CORRECT, self.env)

    def _finish(self, actor: Actor) -> cs.Finish:
        async def finish(s: AsyncSession, done: cs.Corrected) -> None:
            await self.audit.append(s, actor=actor, action=f"incident:{done.kind}", subject=f"incident:{done.source.id}",
                                    data={"source": done.source.id, "target": done.target.id, "alerts_moved": done.moved,
                                          "keys_moved": list(done.lesson.keys_moved)[:50],
                                          "keys_other": list(done.lesson.keys_other)[:50],
                                          "correction": done.correction_id})
        return finish

    def _learn(self, done: cs.Corrected) -> None:
        try:
            teach(self.feedback, done.lesson)
        except Exception:  # stored and audited already; the next start replays it
            log.exception("grouping feedback failed", extra={"correction": done.correction_id})

    async def split(self, incident_id: int, values: Iterable[str], actor: Actor) -> cs.Corrected:
        """Move the chosen alerts (form values) of an open incident to a new incident."""
        await self._allow(actor)
        picked = await self._fingerprints(incident_id, list(values))
        svc = self.alerts
        done = await cs.split(svc, self.log, svc.cfg, svc.clock.now, incident_id, picked, actor.user_id,
                              actor.name or actor.user_id, self._finish(actor))
        self._learn(done)
        return done

    async def merge(self, source_id: int, target_id: int, actor: Actor) -> cs.Corrected:
        """Move every alert of an open incident into another open one and close it as merged."""
        await self._allow(actor)
        svc = self.alerts
        done = await cs.merge(svc, self.log, svc.cfg, svc.clock.now, source_id, target_id, actor.user_id,
                              actor.name or actor.user_id, self._finish(actor))
        self._learn(done)
        return done

    async def _members(self, incident_id: int) -> list[tuple[str, dict[str, str], bool]]:
        a = cs.A
        async with self.alerts.store.db.session() as s:
            rows = (await s.execute(select(a.c.fingerprint, a.c.labels, a.c.status).where(
                a.c.incident_id == incident_id).order_by(a.c.first_seen_at, a.c.fingerprint))).all()
        return [(fp, dict(labels or {}), status == "firing") for fp, labels, status in rows]

    async def _fingerprints(self, incident_id: int, values: list[str]) -> list[str]:
        if not all(v.startswith((ALERT, GROUP)) for v in values):
            raise InvalidInput("the form sent an option it does not offer", hint="open Split… again")
        fps = [v[len(ALERT):] for v in values if v.startswith(ALERT)]
        keys = {v[len(GROUP):] for v in values if v.startswith(GROUP)}
        if keys:
            label = self.alerts.cfg.service_label
            fps += [fp for fp, labels, _ in await self._members(incident_id)
                    if _digest(alert_key(labels, label)) in keys]
        return fps

    async def split_form(self, incident_id: int) -> SplitForm:
        """Return the options of the Split… form: each alert, or each alert key past Slack's limit."""
        detail = await self.alerts.queries.incident(incident_id, decisions=0)
        members = await self._members(incident_id)
        label = self.alerts.cfg.service_label
        if len(members) <= MAX_OPTIONS:
            choices = [Choice(ALERT + fp, _alert_text(labels, label, firing), firing) for fp, labels, firing in members]
            return SplitForm(detail.incident, choices, False, 0)
        groups: dict[str, list[int]] = {}
        shown: dict[str, str] = {}
        for _, labels, firing in members:
            k = alert_key(labels, label)
            g = groups.setdefault(k, [0, 0])
            g[0] += 1
            g[1] += firing
            shown.setdefault(k, _key_text(labels, label))
        biggest = sorted(groups.items(), key=lambda kv: (-kv[1][0], kv[0]))
        choices = [Choice(GROUP + _digest(k), f"{shown[k]} ×{n} ({f} firing)", f > 0)
                   for k, (n, f) in biggest[:MAX_OPTIONS]]
        return SplitForm(detail.incident, choices, True, max(0, len(biggest) - MAX_OPTIONS))

    async def merge_targets(self, incident_id: int) -> tuple[Incident, list[Incident]]:
        """Return the incident and the open incidents it can be merged into (newest first)."""
        inc = (await self.alerts.queries.incident(incident_id, decisions=0)).incident
        return inc, [i for i in await self.alerts.queries.incidents("open", limit=MAX_OPTIONS + 1)
                     if i.id != incident_id][:MAX_OPTIONS]

    async def merged_targets(self, incident_ids: Iterable[int]) -> dict[int, int]:
        """Return, for those of these incidents that were merged, the incident each was merged into."""
        found: dict[int, int] = {}
        async with self.log.db.session() as s:
            for incident_id in incident_ids:
                target = await cs.CorrectionLog.merged_into(s, incident_id)
                if target is not None:
                    found[incident_id] = target
        return found

    async def weekly(self, days: int) -> list[dict[str, Any]]:
        """Return splits and merges per week over the last `days` days."""
        days = parse_int(str(days), "days", lo=1, hi=365)
        return await self.log.weekly(self.alerts.clock.now() - timedelta(days=days))
