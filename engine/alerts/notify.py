"""Notify stage: decide whether an incident's changes post, edit, add a thread reply, or stay silent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.alerts.config import AlertsConfig
from engine.alerts.lifecycle import Change
from engine.alerts.types import Incident, IncidentStatus

# People's own actions are always echoed in the thread, snoozed or not: they are the record.
_HUMAN = frozenset({"acknowledged", "resolved", "snoozed", "silenced", "commander", "note"})


@dataclass(frozen=True, slots=True)
class NotifyDecision:
    """What to send for an incident: message post/edit/none, a thread reply or not, and why."""

    message: str  # post | edit | none
    thread: bool
    name: str
    reason: str
    next_due_at: datetime | None


def next_due(inc: Incident, cfg: AlertsConfig) -> datetime | None:
    """Return when the incident will next be notified about without new alerts (never once resolved)."""
    if not inc.is_open:
        return None
    times = [t for t in (inc.resolve_due_at, inc.snoozed_until) if t]
    if inc.status is IncidentStatus.OPEN and not inc.snoozed_until:
        times.append((inc.last_notified_at or inc.opened_at) + timedelta(seconds=cfg.repeat_interval_s))
    return min(times) if times else None


def summarize(changes: list[Change], limit: int = 3) -> str:
    """Return the changes' texts once each with a count ("HighLatency joined ×3"), the first few."""
    counts: dict[str, int] = {}
    for c in changes:
        counts[c.text] = counts.get(c.text, 0) + 1
    shown = [t if n == 1 else f"{t} ×{n}" for t, n in list(counts.items())[:limit]]
    more = len(counts) - limit
    return "; ".join(shown) + (f"; {more} more" if more > 0 else "")


def card_renders(inc: Incident, changes: list[Change]) -> str | None:
    """Return why the incident's message is posted or edited for these changes, or None."""
    if not inc.posted:
        return "new incident: first message" if inc.is_open else None
    # The message is a view of the incident: any change to it is re-rendered (the outbox folds
    # edits to the latest state).
    return "changed: message re-rendered" if changes else None


def decide_notice(inc: Incident, changes: list[Change], now: datetime, cfg: AlertsConfig) -> NotifyDecision:
    """Weigh an incident's changes into one notification decision with a named reason."""
    due = next_due(inc, cfg)
    renders = card_renders(inc, changes)
    if not inc.posted:
        if renders is None:
            return NotifyDecision("none", False, "never_posted", "resolved before it was posted", None)
        return NotifyDecision("post", False, "new_incident", "new incident: first message", due)
    # What is weighed below is only the thread reply.
    if renders is None:
        return NotifyDecision("none", False, "no_change", "nothing changed", due)
    meaningful = [c for c in changes if c.meaningful]
    human = [c for c in changes if c.kind in _HUMAN]
    snoozed = inc.snoozed_until is not None and inc.snoozed_until > now
    if snoozed and not human:
        return NotifyDecision("edit", False, "snoozed",
                              f"snoozed until {inc.snoozed_until:%H:%M} UTC: message edited, "
                              f"no thread reply", due)
    if meaningful:
        what = summarize(meaningful)
        return NotifyDecision("edit", True, "meaningful_change", f"meaningful change: {what}", due)
    what = summarize(changes)
    return NotifyDecision("edit", False, "minor_change", f"message edited in place: {what}", due)

