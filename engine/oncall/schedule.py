"""Who is on call at an instant: the answer type and the rotation rule (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.oncall.config import Rotation


@dataclass(frozen=True, slots=True)
class OnCall:
    """The people on call for a team at `at`, and until when that stays true (None: unknown)."""

    team: str
    people: tuple[str, ...]
    at: datetime
    until: datetime | None
    source: str  # "rotation" or the calendar's path or URL


def rotation_at(rot: Rotation, at: datetime) -> tuple[str, datetime | None]:
    """Return who holds the rotation at `at` and when their shift ends (nobody before `start`)."""
    if at < rot.start:
        return "", rot.start
    shift = timedelta(hours=rot.shift_hours)
    n = int((at - rot.start) / shift)
    return rot.people[n % len(rot.people)], rot.start + shift * (n + 1)
