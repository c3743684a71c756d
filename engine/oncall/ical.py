"""Read an iCalendar (RFC 5545) on-call feed and answer who is on call at an instant.

Schedulers (PagerDuty, Opsgenie, Grafana OnCall, a shared Google calendar) export rotations as
recurring VEVENTs; `recurring_ical_events` expands RRULE, RDATE, EXDATE and moved occurrences.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import icalendar
import recurring_ical_events

from engine.errors import InvalidInput

PREFIXES = ("on call:", "on-call:", "oncall:")  # "On call: Alice" says Alice


def parse_calendar(data: bytes, where: str, now: datetime) -> icalendar.Calendar:
    """Parse and check a calendar, expanding a few weeks so a broken event fails here, not later."""
    try:
        cal = icalendar.Calendar.from_ical(data)
        if not cal.walk("VEVENT"):
            raise InvalidInput(f"calendar {where} has no events", hint="export the on-call rotation as VEVENTs")
        expanded = recurring_ical_events.of(cal).between(now - timedelta(days=1), now + timedelta(days=35))
        for ev in expanded:
            person_of(ev)
            ev.decoded("DTSTART")
    except InvalidInput:
        raise
    except Exception as exc:  # the library raises ValueError and its own errors for bad content
        raise InvalidInput(f"calendar {where} is not valid iCalendar: {exc}",
                           hint="check the file or URL with an iCalendar validator") from exc
    return cal


def person_of(event: Any) -> str:
    """Return who an on-call event names: its attendee's name, else its summary."""
    att = event.get("ATTENDEE")
    if isinstance(att, list):
        att = att[0] if att else None
    if att is not None:
        cn = att.params.get("CN")
        if cn:
            return str(cn).strip()
    summary = str(event.get("SUMMARY", "")).strip()
    low = summary.lower()
    for p in PREFIXES:
        if low.startswith(p):
            return summary[len(p):].strip()
    return summary


def on_call_at(cal: icalendar.Calendar, at: datetime) -> tuple[tuple[str, ...], datetime | None]:
    """Return the people whose on-call events cover `at` and when the first of those events ends."""
    people: list[str] = []
    ends: list[datetime] = []
    for ev in recurring_ical_events.of(cal).at(at):
        who = person_of(ev)
        if who and who not in people:
            people.append(who)
        end = ev.decoded("DTEND") if ev.get("DTEND") is not None else None
        if isinstance(end, datetime):
            ends.append(end)
    return tuple(people), min(ends) if ends else None
