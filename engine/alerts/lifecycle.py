"""Incident lifecycle: open -> acknowledged -> resolved (after a cool-down); a flapping alert reopens it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any, Callable, Mapping

from engine.alerts.config import AlertsConfig
from engine.alerts.grouping import inhibit_sources, matches, onset_ts
from engine.alerts.lead import refresh_lead
from engine.alerts.model_keys import Place, memory_key_parts
from engine.alerts.types import TITLE_CHARS, AlertEvent, AlertState, CorrLedger, Incident, IncidentStatus
from engine.errors import Conflict, InvalidInput

# Changes a reader of the channel should hear about in the thread; the rest only edit the message.
MEANINGFUL = frozenset({"opened", "reopened", "severity_up", "service_joined", "new_alertname", "resolved",
                        "acknowledged", "snoozed", "reminder", "silenced", "silence_expired", "commander", "note"})
NOTE_CHARS = 450  # a note is one line of the thread and the timeline, stored whole in its facts


# Not frozen: one per joined alert of a storm (see types.Decision); treated as immutable. The facts
# are typed fields, not English: templates/slack/alerts/_changes.j2 words every kind, so a storm's
# join only stores a name here (no string formatting per alert).
@dataclass(slots=True)
class Change:
    """Something that happened to an incident, as its kind and facts, named so the notify stage can weigh it."""

    kind: str
    who: str | None = None  # the person (or feature) that acted
    alertname: str | None = None
    service: str | None = None
    severity: str | None = None  # the severity it was raised to
    before: str | None = None  # the severity or commander it replaced
    at: datetime | None = None  # when it resolves, when the snooze ends
    count: int | None = None  # firing alerts (reminder), flaps, alerts moved
    seconds: float | None = None  # the resolve cool-down it waited
    incident: int | None = None  # the incident it recurs, was split from or merged with
    hours: float | None = None  # how long a silence lasts
    text: str | None = None  # a person's words (a note)
    alerts: tuple[str, ...] | None = None  # alert names moved, or alerts a silence leaves out
    silences: tuple[str, ...] | None = None  # Alertmanager silence ids
    matchers: tuple[str, ...] | None = None  # what each silence matches, in the order of `silences`
    outcome: str | None = None  # how an automatic run ended (engine/auto/breaker.py)

    @property
    def meaningful(self) -> bool:
        """Return True when the change deserves a thread reply."""
        return self.kind in MEANINGFUL

    def facts(self) -> dict[str, Any]:
        """Return the change as JSON (kind and the facts it has), as stored and rendered."""
        out: dict[str, Any] = {"kind": self.kind}
        for name in FACT_FIELDS:
            v = getattr(self, name)
            if v is not None:
                out[name] = v.isoformat() if isinstance(v, datetime) else list(v) if isinstance(v, tuple) else v
        return out


FACT_FIELDS: tuple[str, ...] = tuple(f for f in Change.__slots__ if f != "kind")
# A change's identity for folding: the same kind and facts word the same line (C-speed, no dict per change).
change_key: Callable[[Change], tuple[Any, ...]] = attrgetter("kind", *FACT_FIELDS)


_JOINED: dict[str, Change] = {}  # "joined" by alert name: one per joining alert of a storm, all alike


def _joined(alertname: str) -> Change:
    got = _JOINED.get(alertname)
    if got is None:
        if len(_JOINED) > 10_000:  # bounded: alert names seen
            _JOINED.clear()
        got = _JOINED[alertname] = Change("joined", alertname=alertname)
    return got


def route_channel(cfg: AlertsConfig, labels: dict[str, str]) -> str:
    """Return the channel of the first route matching labels, else the default."""
    for r in cfg.routes:
        if matches(labels, r.match):
            return r.channel
    return cfg.default_channel


def incident_title(alertname: str, labels: Mapping[str, str], cfg: AlertsConfig) -> str:
    """Return an incident's title from its lead alert: "<alertname> on <service>"."""
    svc = labels.get(cfg.service_label, "")
    title = f"{alertname} on {svc}" if svc else alertname
    if len(title) > TITLE_CHARS:  # a derived summary: the full labels stay on the alert
        title = title[:TITLE_CHARS - 1] + "…"
    return title


def new_incident(temp_id: int, ev: AlertEvent, cfg: AlertsConfig, now: datetime,
                 recurrence_of: int | None = None, recurrence_nth: int = 0) -> Incident:
    """Open an incident for an alert no incident took, linked to the one it recurs if any."""
    return Incident(id=temp_id, status=IncidentStatus.OPEN, title=incident_title(ev.alertname, ev.labels, cfg),
                    severity=ev.labels.get(cfg.severity_label, ""),
                    channel=route_channel(cfg, ev.labels), opened_at=now, last_activity_at=now,
                    recurrence_of=recurrence_of, recurrence_nth=recurrence_nth)


def _refresh(corr: dict[str, float], led: CorrLedger | None, keys: tuple[str, ...], ts: float) -> bool:
    """Move the shared keys an occurrence refreshes to its onset; tell whether any moved."""
    moved = False
    for key in keys:
        if corr.get(key, 0.0) < ts:
            corr[key] = ts
            if led is not None:
                led.shared[key] = ts
            moved = True
    return moved


def join(inc: Incident, st: AlertState, ev: AlertEvent, cfg: AlertsConfig, now: datetime,
         inhibited_by: str | None = None, ts: float | None = None, where: Place | None = None,
         refreshed: dict[tuple[int, int], tuple[tuple[str, ...], dict[str, float], float]] | None = None,
         ) -> list[Change]:
    """Attach a firing alert to an incident and return what changed.

    `ts` is onset_ts(ev, now) and `where` model_keys.place(cfg, ev.labels), if known; `refreshed`
    is the batch's record of shared memory keys already written (PipelineState.refreshed).
    """
    # Runs for every alert of a storm's onset: names are read once and unchanged aggregates
    # (a severity already held, a service or alert name already listed) cost one lookup.
    changes: list[Change] = []
    labels = ev.labels
    alertname = labels.get("alertname", "")
    moved = inc.last_activity_at != now  # what the grouping model reads changed (see Incident.model_rev)
    if inc.status is IncidentStatus.RESOLVED:
        moved = True
        inc.status, inc.resolved_at, inc.resolved_by = IncidentStatus.OPEN, None, None
        inc.acked_at = inc.acked_by = None
        inc.reopen_count += 1
        changes.append(Change("reopened", alertname=alertname))
    if st.incident_id != inc.id:
        inc.alert_count += 1
        st.incident_id = inc.id
        st.inhibited_by = inhibited_by
        if inc.alert_count > 1:
            changes.append(_joined(alertname))
    lead = inc.lead
    if not lead or lead.get("fingerprint") == ev.fingerprint:  # refresh_lead's own test, without the call
        refresh_lead(lead, ev, cfg)  # the first alert's words and links; its later deliveries update them
    inc.add_firing(ev.fingerprint, st.group_key or "")  # as stored: a reload rebuilds the same
    if ev.source not in inc.sources:
        inc.sources.append(ev.source)
    if inc.resolve_due_at is not None:
        inc.resolve_due_at = None
        changes.append(Change("resolve_cancelled", alertname=alertname))
    if ts is None:
        ts = onset_ts(ev, now)
    svc = labels.get(cfg.service_label)
    if svc and svc not in inc.services:
        inc.services[svc] = ts
        moved = True
        if len(inc.services) > 1:
            changes.append(Change("service_joined", service=svc))
    if alertname not in inc.alertnames:
        inc.alertnames.append(alertname)
        if len(inc.alertnames) > 1:
            changes.append(Change("new_alertname", alertname=alertname))
    sev = labels.get(cfg.severity_label, "")
    if sev != inc.severity and cfg.severity_rank(sev) > cfg.severity_rank(inc.severity):
        if inc.severity:
            changes.append(Change("severity_up", severity=sev, before=inc.severity))
        inc.severity = sev
    if ev.group_key:
        inc.group_keys[ev.group_key] = ts
    # What the grouping model reads, with its latest onset; a re-sent older occurrence never moves
    # an onset back. A batch's alerts of one service, name and zone or rack share every key but
    # their machine's: once this incident holds those at this onset or later, the next such alert
    # skips them.
    # What is stored changes with them: the ledger (corr_store) records it, while it describes corr.
    corr = inc.corr_keys
    led = inc.ledger
    if led is not None and led.corr is not corr:
        led = None
    head, machine, tail = memory_key_parts(cfg, labels, where)
    mark = (id(inc), id(head))
    got = refreshed.get(mark) if refreshed is not None else None
    shared = got is None or got[0] is not head or got[1] is not corr or got[2] < ts
    if shared:
        # No machine key in head or tail (model_keys.memory_key_parts): moving one bumps model_rev.
        moved = _refresh(corr, led, head, ts) or moved
    if machine is not None:
        old = corr.get(machine)
        if (0.0 if old is None else old) < ts:
            # A machine's key is read only by alerts on that machine, whose memo key holds it.
            corr[machine] = ts
            if led is not None:
                led.fresh[machine] = ts
                led.machines += old is None
    if shared:
        moved = _refresh(corr, led, tail, ts) or moved
        if refreshed is not None:
            refreshed[mark] = (head, corr, ts)
    if cfg.inhibit:
        for key in inhibit_sources(cfg, labels):
            inc.inhibitors.setdefault(key, ev.fingerprint)
    inc.last_activity_at = now
    inc.dirty = True
    if moved:
        inc.model_rev += 1
    return changes


def alert_resolved(inc: Incident, st: AlertState, cfg: AlertsConfig, now: datetime) -> list[Change]:
    """Take a resolved alert out of the firing set; schedule the resolve when none fire."""
    inc.drop_firing(st.fingerprint)
    for key in [k for k, fp in inc.inhibitors.items() if fp == st.fingerprint]:
        del inc.inhibitors[key]
    inc.dirty = True
    name = st.labels.get("alertname", st.fingerprint)
    if inc.firing or not inc.is_open:
        return [Change("alert_resolved", alertname=name)]
    inc.resolve_due_at = now + timedelta(seconds=cfg.resolve_cooldown_s)
    return [Change("resolving", at=inc.resolve_due_at)]


def tick(inc: Incident, cfg: AlertsConfig, now: datetime) -> list[Change]:
    """Apply time-driven transitions: cool-down resolves, snooze ends, reminders."""
    changes: list[Change] = []
    if inc.is_open and inc.resolve_due_at and now >= inc.resolve_due_at and not inc.firing:
        # Resolved as of the due time, not this tick: the reopen window must not depend on
        # how late the scheduler ran.
        inc.status, inc.resolved_at, inc.resolved_by = IncidentStatus.RESOLVED, inc.resolve_due_at, None
        inc.resolve_due_at = None
        changes.append(Change("resolved", seconds=cfg.resolve_cooldown_s))
    if inc.snoozed_until and now >= inc.snoozed_until:
        inc.snoozed_until = None
        changes.append(Change("snooze_ended"))
    if (inc.status is IncidentStatus.OPEN and inc.posted and not inc.snoozed_until
            and now >= (inc.last_notified_at or inc.opened_at) + timedelta(seconds=cfg.repeat_interval_s)):
        changes.append(Change("reminder", count=len(inc.firing)))
    if changes:
        inc.dirty = True
    return changes


def acknowledge(inc: Incident, who: str, now: datetime) -> list[Change]:
    """Mark an open incident acknowledged by a person."""
    if inc.status is not IncidentStatus.OPEN:
        raise Conflict(f"incident #{inc.id} is {inc.status.value}, not open")
    inc.status, inc.acked_at, inc.acked_by, inc.dirty = IncidentStatus.ACKNOWLEDGED, now, who, True
    return [Change("acknowledged", who=who)]


def resolve(inc: Incident, who: str, now: datetime) -> list[Change]:
    """Resolve an incident by hand, whatever its alerts say."""
    if inc.status is IncidentStatus.RESOLVED:
        raise Conflict(f"incident #{inc.id} is already resolved")
    inc.status, inc.resolved_at, inc.resolved_by = IncidentStatus.RESOLVED, now, who
    inc.resolve_due_at, inc.dirty = None, True
    return [Change("resolved", who=who)]


def snooze(inc: Incident, seconds: int, who: str, now: datetime, cfg: AlertsConfig) -> list[Change]:
    """Mute thread notifications of an incident for one of the configured durations."""
    if seconds not in cfg.snooze_choices_s:
        raise InvalidInput(f"snooze of {seconds}s is not offered",
                           hint=f"choose one of {cfg.snooze_choices_s} seconds")
    if not inc.is_open:
        raise Conflict(f"incident #{inc.id} is resolved; nothing to snooze")
    inc.snoozed_until, inc.dirty = now + timedelta(seconds=seconds), True
    return [Change("snoozed", who=who, at=inc.snoozed_until)]


def take(inc: Incident, user_id: str, who: str, now: datetime) -> list[Change]:
    """Make a person the incident commander; taking an open incident also acknowledges it."""
    if not inc.is_open:
        raise Conflict(f"incident #{inc.id} is resolved", hint="reopen it first")
    if inc.commander == user_id:
        raise Conflict(f"you are already the commander of incident #{inc.id}")
    before = inc.commander_name
    inc.commander, inc.commander_name, inc.dirty = user_id, who, True
    changes = [Change("commander", who=who, before=before)]
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
    return [Change("reopened", who=who)]


def add_note(inc: Incident, text: str, who: str) -> list[Change]:
    """Record a person's note on an incident (its thread and timeline), open or resolved."""
    text = " ".join(text.split())  # one line: the timeline and thread show it as one
    if not text:
        raise InvalidInput("the note is empty")
    if len(text) > NOTE_CHARS:
        raise InvalidInput(f"the note is {len(text)} characters, limit is {NOTE_CHARS}",
                           hint="split it into two notes")
    inc.dirty = True
    return [Change("note", who=who, text=text)]
