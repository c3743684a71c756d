"""Notify stage: decide whether an incident's changes post, edit, add a thread reply, or stay silent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine.alerts import thread_fold
from engine.alerts.config import AlertsConfig
from engine.alerts.lifecycle import Change, change_key
from engine.alerts.types import Incident, IncidentStatus

# People's own actions are always echoed in the thread, snoozed or not: they are the record.
_HUMAN = frozenset({"acknowledged", "resolved", "snoozed", "silenced", "silence_expired", "commander", "note"})


@dataclass(frozen=True, slots=True)
class NotifyDecision:
    """What to send for an incident: message post/edit/none, a thread reply or not, and why."""

    message: str  # post | edit | none
    thread: bool
    name: str
    reason: str
    next_due_at: datetime | None
    facts: dict[str, Any] | None = None  # the changes weighed (summarize) or the snooze's end, for `/ops why`
    fold: bool = False  # the thread reply edits the incident's open one (engine/alerts/thread_fold.py)


def next_due(inc: Incident, cfg: AlertsConfig) -> datetime | None:
    """Return when the incident will next be notified about without new alerts (never once resolved)."""
    if not inc.is_open:
        return None
    times = [t for t in (inc.resolve_due_at, inc.snoozed_until) if t]
    if inc.status is IncidentStatus.OPEN and not inc.snoozed_until:
        times.append((inc.last_notified_at or inc.opened_at) + timedelta(seconds=cfg.repeat_interval_s))
    return min(times) if times else None


def summarize(changes: list[Change], limit: int = 3) -> dict[str, Any]:
    """Return the first few changes once each with a count, and how many more, as decision facts."""
    counts: dict[tuple[Any, ...], int] = {}
    first: dict[tuple[Any, ...], Change] = {}
    for c in changes:
        key = change_key(c)
        n = counts.get(key)
        if n is None:
            first[key] = c
        counts[key] = (n or 0) + 1
    shown = [{"change": first[k].facts(), "count": n} for k, n in list(counts.items())[:limit]]
    return {"changes": shown, "more": max(0, len(counts) - limit)}


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
    until = inc.snoozed_until
    if until is not None and until > now and not human:
        return NotifyDecision("edit", False, "snoozed", "message edited, no thread reply", due,
                              {"until": until.isoformat()})
    if meaningful and thread_fold.folds(inc.thread_open, changes, now, cfg.thread_fold_s):
        return NotifyDecision("edit", True, "folded_change", "meaningful change folded into the open thread reply",
                              due, summarize(meaningful), fold=True)
    if meaningful:
        return NotifyDecision("edit", True, "meaningful_change", "meaningful change", due, summarize(meaningful))
    return NotifyDecision("edit", False, "minor_change", "message edited in place", due, summarize(changes))

