"""What a split or merge leaves in each incident's memory: rebuilt from its members as grouping placed them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable, Iterable

from engine.alerts import lifecycle
from engine.alerts.config import AlertsConfig
from engine.alerts.corrections import side
from engine.alerts.model import group_key
from engine.alerts.types import AlertEvent, AlertState, Incident, IncidentStatus

if TYPE_CHECKING:
    from engine.alerts.model_keys import Place
    from engine.alerts.service import AlertService

Placer = Callable[[dict[str, str]], "Place"]  # labels -> model_keys.place, as the grouping stage read them


def alert_event(st: AlertState) -> AlertEvent:
    """Return the event that fired this alert state (its occurrence, as ingest saw it)."""
    return AlertEvent(st.fingerprint, st.status, st.labels, st.annotations, st.starts_at, st.ends_at,
                      st.source, st.group_key)


def derive(members: Iterable[AlertState], cfg: AlertsConfig, like: Incident, place: Placer) -> Incident:
    """Return a scratch incident carrying the correlation memory these members would leave."""
    scratch = Incident(id=0, status=IncidentStatus.OPEN, title="", severity="", channel=like.channel,
                       opened_at=like.opened_at, last_activity_at=like.opened_at)
    for st in sorted(members, key=lambda a: (a.first_seen_at, a.fingerprint)):
        # A copy: join re-points the alert it is given, and these alerts move only on purpose.
        # Placed as the grouping stage placed it (an entity learned from the stream included), so
        # the rebuilt memory holds the keys the model reads.
        lifecycle.join(scratch, replace(st), alert_event(st), cfg, st.first_seen_at, where=place(st.labels))
    return scratch


def placer(alerts: AlertService, cfg: AlertsConfig) -> Placer:
    """Return where the ingest's grouping model places an alert (its entity inferred when no configured label names it)."""
    model = alerts.ingest.model
    return lambda labels: model.place(cfg, labels)


def lesson_side(cfg: AlertsConfig, members: Iterable[AlertState], place: Placer) -> tuple[str, ...]:
    """Return a lesson's side: the members' co-occurrence keys as the model reads them (alertname|entity)."""
    return tuple(side(group_key(cfg, a.labels, place(a.labels)[0]) for a in members))


def _carry(derived: dict[str, float], known: dict[str, float]) -> dict[str, float]:
    # Keep the times the incident already knew: a rule's window runs from its own evidence.
    return {k: known.get(k, t) for k, t in derived.items()}


def remember(inc: Incident, scratch: Incident, known: Incident, members: Iterable[AlertState],
             cfg: AlertsConfig) -> None:
    """Give an incident the memory its members left (scratch), keeping the times it already knew."""
    inc.services = _carry(scratch.services, known.services)
    inc.group_keys = _carry(scratch.group_keys, known.group_keys)
    inc.corr_keys = _carry(scratch.corr_keys, known.corr_keys)
    inc.alertnames = list(scratch.alertnames)
    inc.sources = list(scratch.sources)
    inc.inhibitors = {k: fp for k, fp in scratch.inhibitors.items() if fp in inc.firing}
    inc.severity = scratch.severity or inc.severity
    if inc.lead.get("fingerprint") not in {a.fingerprint for a in members}:
        # Its lead alert left (or it has none yet): the card, owner and title follow its first alert.
        inc.lead = dict(scratch.lead)
        if inc.lead:
            inc.title = lifecycle.incident_title(inc.lead["alertname"], inc.lead.get("labels") or {}, cfg)
    inc.dirty = True


def unite(into: dict[str, float], other: dict[str, float], newest: bool) -> None:
    """Add another incident's timed keys, keeping the newest (or oldest) time of each."""
    for k, t in other.items():
        have = into.get(k)
        into[k] = t if have is None else (max(have, t) if newest else min(have, t))


def settle(inc: Incident, cfg: AlertsConfig, now: datetime) -> None:
    """Schedule the cool-down resolve of an open incident left with nothing firing."""
    if inc.is_open and not inc.firing and inc.resolve_due_at is None:
        inc.resolve_due_at = now + timedelta(seconds=cfg.resolve_cooldown_s)
    elif inc.firing:
        inc.resolve_due_at = None
    inc.last_activity_at = now
    inc.dirty = True
