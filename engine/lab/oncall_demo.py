"""Demo owners and on-call: who owns the storm's services, and their rotations (one as an iCalendar file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# The storm's graph (engine/lab/alerts/demo.py): databases and caches, middle services, web front ends.
TEAMS = {"platform": ("db-0", "cache-1"), "backend": ("svc-10", "svc-11", "svc-12"),
         "web": ("web-20", "web-21", "web-22", "web-23")}
PAGED = {"platform": "S0ONCALL", "backend": "S0ONCALL"}  # the local workspace's @oncall group; web is never paged
ICS_NAME = "backend-oncall.ics"

# A weekly two-person rotation as schedulers export it: one recurring VEVENT per person.
BACKEND_ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Opsbot demo//backend on-call//EN\r
BEGIN:VEVENT\r
UID:backend-a@opsbot.demo\r
DTSTAMP:20260105T090000Z\r
DTSTART:20260105T090000Z\r
DTEND:20260112T090000Z\r
RRULE:FREQ=WEEKLY;INTERVAL=2\r
SUMMARY:On call: Carol Chen\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:backend-b@opsbot.demo\r
DTSTAMP:20260105T090000Z\r
DTSTART:20260112T090000Z\r
DTEND:20260119T090000Z\r
RRULE:FREQ=WEEKLY;INTERVAL=2\r
SUMMARY:On call: Alice Archer\r
END:VEVENT\r
END:VCALENDAR\r
"""


def demo_owners() -> dict[str, Any]:
    """Return the `alerts:` keys that name each service's owning team (platform and backend are paged)."""
    return {"owners": [{"match": {"service": svc}, "team": team, **({"usergroup": PAGED[team]} if team in PAGED else {})}
                       for team, services in TEAMS.items() for svc in services]}


def demo_oncall_config(data_dir: Path) -> dict[str, Any]:
    """Write the backend team's calendar under data_dir and return the `oncall:` section."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / ICS_NAME).write_text(BACKEND_ICS, encoding="utf-8", newline="")
    return {"schedules": [
        {"team": "platform", "rotation": {"people": ["bob", "carol"], "start": "2026-01-05T09:00:00Z",
                                          "shift_hours": 12}},
        {"team": "backend", "ical": str(data_dir / ICS_NAME)},
        {"team": "web", "rotation": {"people": ["alice", "bob", "carol"], "start": "2026-01-05T09:00:00Z"}},
    ]}
