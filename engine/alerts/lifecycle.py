"""Incident lifecycle: open -> acknowledged -> resolved (after a cool-down); a flapping alert reopens it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.alerts.config import AlertsConfig
from engine.alerts.grouping import inhibit_sources, matches
from engine.alerts.lead import refresh_lead
from engine.alerts.model import memory_keys
from engine.alerts.types import TITLE_CHARS, AlertEvent, AlertState, Incident, IncidentStatus
from engine.errors import Conflict, InvalidInput

# Changes a reader of the channel should hear about in the thread; the rest only edit the message.
MEANINGFUL = frozenset({"opened", "reopened", "severity_up", "service_joined", "new_alertname",
                        "resolved", "acknowledged", "snoozed", "reminder", "silenced", "commander", "note"})
NOTE_CHARS = 450  # a note is stored whole in the timeline (decision reasons hold 500 characters)


@dataclass(slots=True)  # not frozen: one per joined alert of a storm (see types.Decision); treated as immutable
class Change:
    """Something that happened to an incident, named so the notify stage can weigh it."""

    kind: str
    text: str

    @property
    def meaningful(self) -> bool:
        """Return True when the change deserves a thread reply."""
        return self.kind in MEANINGFUL


def route_channel(cfg: AlertsConfig, labels: dict[str, str]) -> str:
    """Return the channel of the first route matching labels, else the default."""
    for r in cfg.routes:
        if matches(labels, r.match):
            return r.channel
    return cfg.default_channel


def new_incident(temp_id: int, ev: AlertEvent, cfg: AlertsConfig, now: datetime,
                 recurrence_of: int | None = None, recurrence_nth: int = 0) -> Incident:
    """Open an incident for an alert no incident took, linked to the one it recurs if any."""
    svc = ev.labels.get(cfg.service_label, "")
    title = f"{ev.alertname} on {svc}" if svc else ev.alertname
    if len(title) > TITLE_CHARS:  # a derived summary: the full labels stay on the alert
        title = title[:TITLE_CHARS - 1] + "…"
    return Incident(id=temp_id, status=IncidentStatus.OPEN, title=title,
                    severity=ev.labels.get(cfg.severity_label, ""),
                    channel=route_channel(cfg, ev.labels), opened_at=now, last_activity_at=now,
                    recurrence_of=recurrence_of, recurrence_nth=recurrence_nth)


def join(inc: Incident, st: AlertState, ev: AlertEvent, cfg: AlertsConfig, now: datetime,
         inhibited_by: str | None = None) -> list[Change]:
    """Attach a firing alert to an incident and return what changed."""
    # Runs for every alert of a storm's onset: names are read once and unchanged aggregates
    # (a severity already held, a service or alert name already listed) cost one lookup.
    changes: list[Change] = []
    labels = ev.labels
    alertname = labels.get("alertname", "")
    if inc.status is IncidentStatus.RESOLVED:
        inc.status, inc.resolved_at, inc.resolved_by = IncidentStatus.OPEN, None, None
        inc.acked_at = inc.acked_by = None
        inc.reopen_count += 1
        changes.append(Change("reopened", f"reopened: {alertname} fired again"))
    if st.incident_id != inc.id:
        inc.alert_count += 1
        st.incident_id = inc.id
        st.inhibited_by = inhibited_by
        if inc.alert_count > 1:
            changes.append(Change("joined", f"{alertname} joined"))
    lead = inc.lead
    if not lead or lead.get("fingerprint") == ev.fingerprint:  # refresh_lead's own test, without the call
        refresh_lead(lead, ev, cfg)  # the first alert's words and links; its later deliveries update them
    inc.add_firing(ev.fingerprint, st.group_key or "")  # as stored: a reload rebuilds the same
    if ev.source not in inc.sources:
        inc.sources.append(ev.source)
    if inc.resolve_due_at is not None:
        inc.resolve_due_at = None
        changes.append(Change("resolve_cancelled", f"{alertname} fires again: not resolving"))
    ts = now.timestamp()
    svc = labels.get(cfg.service_label)
    if svc and svc not in inc.services:
        inc.services[svc] = ts
        if len(inc.services) > 1:
            changes.append(Change("service_joined", f"service {svc} is affected too"))
    if alertname not in inc.alertnames:
        inc.alertnames.append(alertname)
        if len(inc.alertnames) > 1:
            changes.append(Change("new_alertname", f"new alert {alertname}"))
    sev = labels.get(cfg.severity_label, "")
    if sev != inc.severity and cfg.severity_rank(sev) > cfg.severity_rank(inc.severity):
        if inc.severity:
            changes.append(Change("severity_up", f"severity raised from {inc.severity} to {sev}"))
        inc.severity = sev
    if ev.group_key:
        inc.group_keys[ev.group_key] = ts
    corr = inc.corr_keys
    for key in memory_keys(cfg, labels):  # what the grouping model reads, with its latest onset
        corr[key] = ts
    if cfg.inhibit:
        for key in inhibit_sources(cfg, labels):
            inc.inhibitors.setdefault(key, ev.fingerprint)
    inc.last_activity_at = now
    inc.dirty = True
    return changes


def alert_resolved(inc: Incident, st: AlertState, cfg: AlertsConfig, now: datetime) -> list[Change]:
    """Take a resolved alert out of the firing set; schedule the resolve when none fire."""
    inc.drop_firing(st.fingerprint)
    for key in [k for k, fp in inc.inhibitors.items() if fp == st.fingerprint]:
        del inc.inhibitors[key]
    inc.dirty = True
    name = st.labels.get("alertname", st.fingerprint)
    if inc.firing or not inc.is_open:
        return [Change("alert_resolved", f"{name} resolved")]
    inc.resolve_due_at = now + timedelta(seconds=cfg.resolve_cooldown_s)
    return [Change("resolving", f"all alerts resolved; resolves at {inc.resolve_due_at:%H:%M:%S} "
                                f"unless one fires again")]


def tick(inc: Incident, cfg: AlertsConfig, now: datetime) -> list[Change]:
    """Apply time-driven transitions: cool-down resolves, snooze ends, reminders."""
    changes: list[Change] = []
    if inc.is_open and inc.resolve_due_at and now >= inc.resolve_due_at and not inc.firing:
        # Resolved as of the due time, not this tick: the reopen window must not depend on
        # how late the scheduler ran.
        inc.status, inc.resolved_at, inc.resolved_by = IncidentStatus.RESOLVED, inc.resolve_due_at, None
        inc.resolve_due_at = None
        changes.append(Change("resolved", f"resolved: all alerts stayed resolved for "
                                          f"{cfg.resolve_cooldown_s:.0f}s"))
    if inc.snoozed_until and now >= inc.snoozed_until:
        inc.snoozed_until = None
        changes.append(Change("snooze_ended", "snooze ended"))
    if (inc.status is IncidentStatus.OPEN and inc.posted and not inc.snoozed_until
            and now >= (inc.last_notified_at or inc.opened_at) + timedelta(seconds=cfg.repeat_interval_s)):
        changes.append(Change("reminder", f"still open and unacknowledged with {len(inc.firing)} "
                                          f"firing alert(s)"))
    if changes:
        inc.dirty = True
    return changes


def acknowledge(inc: Incident, who: str, now: datetime) -> list[Change]:
    """Mark an open incident acknowledged by a person."""
    if inc.status is not IncidentStatus.OPEN:
        raise Conflict(f"incident #{inc.id} is {inc.status.value}, not open")
    inc.status, inc.acked_at, inc.acked_by, inc.dirty = IncidentStatus.ACKNOWLEDGED, now, who, True
    return [Change("acknowledged", f"acknowledged by {who}")]


def resolve(inc: Incident, who: str, now: datetime) -> list[Change]:
    """Resolve an incident by hand, whatever its alerts say."""
    if inc.status is IncidentStatus.RESOLVED:
        raise Conflict(f"incident #{inc.id} is already resolved")
    inc.status, inc.resolved_at, inc.resolved_by = IncidentStatus.RESOLVED, now, who
    inc.resolve_due_at, inc.dirty = None, True
    return [Change("resolved", f"resolved by {who}")]


def snooze(inc: Incident, seconds: int, who: str, now: datetime, cfg: AlertsConfig) -> list[Change]:
    """Mute thread notifications of an incident for one of the configured durations."""
    if seconds not in cfg.snooze_choices_s:
        raise InvalidInput(f"snooze of {seconds}s is not offered",
                           hint=f"choose one of {cfg.snooze_choices_s} seconds")
    if not inc.is_open:
        raise Conflict(f"incident #{inc.id} is resolved; nothing to snooze")
    inc.snoozed_until, inc.dirty = now + timedelta(seconds=seconds), True
    return [Change("snoozed", f"snoozed by {who} until {inc.snoozed_until:%H:%M} UTC")]


def take(inc: Incident, user_id: str, who: str, now: datetime) -> list[Change]:
    """Make a person the incident commander; taking an open incident also acknowledges it."""
    if not inc.is_open:
        raise Conflict(f"incident #{inc.id} is resolved", hint="reopen it first")
    if inc.commander == user_id:
        raise Conflict(f"you are already the commander of incident #{inc.id}")
    before = inc.commander_name
    inc.commander, inc.commander_name, inc.dirty = user_id, who, True
    changes = [Change("commander", f"{who} is incident commander" + (f" (was {before})" if before else ""))]
    if inc.status is IncidentStatus.OPEN:  # the commander has seen it: reminders would only nag
        inc.status, inc.acked_at, inc.acked_by = IncidentStatus.ACKNOWLEDGED, now, who
    return changes


def reopen(inc: Incident, who: str, now: datetime, cfg: AlertsConfig) -> list[Change]:
    """Reopen a resolved incident by hand within `reopen_window_s` of its resolution."""
    if inc.is_open:
        raise Conflict(f"incident #{inc.id} is {inc.status.value}, not resolved")
    if inc.resolved_at is not None and now - inc.resolved_at > timedelta(seconds=cfg.reopen_window_s):
        raise Conflict(f"incident #{inc.id} was resolved more than {cfg.reopen_window_s / 60:g} minutes ago",
                       hint="a new occurrence opens a new incident; add a note here to link them")
    inc.status, inc.resolved_at, inc.resolved_by, inc.resolve_due_at = IncidentStatus.OPEN, None, None, None
    inc.acked_at = inc.acked_by = inc.snoozed_until = None
    inc.reopen_count += 1
    inc.dirty = True
    return [Change("reopened", f"reopened by {who}")]


def add_note(inc: Incident, text: str, who: str) -> list[Change]:
    """Record a person's note on an incident (its thread and timeline), open or resolved."""
    text = " ".join(text.split())  # one line: the timeline and thread show it as one
    if not text:
        raise InvalidInput("the note is empty")
    if len(text) > NOTE_CHARS:
        raise InvalidInput(f"the note is {len(text)} characters, limit is {NOTE_CHARS}",
                           hint="split it into two notes")
    inc.dirty = True
    return [Change("note", f"note by {who}: {text}")]
