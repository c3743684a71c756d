"""Freeze windows: weekday/time ranges or date ranges, in a timezone, when promotions stop.

    "sat-sun"                            all weekend (UTC)
    "fri 16:00-24:00 Europe/Paris"       Friday afternoons, Paris time
    "mon-fri 22:00-06:00 UTC"            overnight; the window belongs to its starting day
    "2026-12-20..2027-01-03 Europe/Paris" a holiday freeze, whole days inclusive
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import InvalidInput

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_TIME = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_DATES = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class FreezeWindow:
    """A recurring weekly window (days + minutes of day) or a date range, in a timezone."""

    name: str
    tz: str = "UTC"
    days: frozenset[int] = frozenset(range(7))
    start_min: int = 0
    end_min: int = 1440
    first_day: date | None = None
    last_day: date | None = None

    def describe(self) -> str:
        """Return the window in the syntax it was written in."""
        if self.first_day:
            return f"{self.first_day}..{self.last_day} {self.tz}"
        days = ",".join(DAYS[d] for d in sorted(self.days)) if len(self.days) < 7 else "daily"
        return f"{days} {_hhmm(self.start_min)}-{_hhmm(self.end_min)} {self.tz}"

    def contains(self, when: datetime) -> bool:
        """Return True when the aware datetime `when` falls inside the window."""
        local = when.astimezone(ZoneInfo(self.tz))
        if self.first_day is not None and self.last_day is not None:
            return self.first_day <= local.date() <= self.last_day
        minute, day = local.hour * 60 + local.minute, local.weekday()
        if self.start_min < self.end_min:
            return day in self.days and self.start_min <= minute < self.end_min
        # overnight window: the evening part on a listed day, the morning part the day after
        return (day in self.days and minute >= self.start_min) or \
            ((day - 1) % 7 in self.days and minute < self.end_min)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _days(spec: str, source: str) -> frozenset[int]:
    if spec in ("*", "daily", "every"):
        return frozenset(range(7))
    out: set[int] = set()
    for part in spec.lower().split(","):
        ends = part.split("-")
        if len(ends) > 2 or any(e[:3] not in DAYS for e in ends):
            raise InvalidInput(f"freeze window `{source}`: `{part}` is not a day or day range",
                               hint="use mon..sun, ranges like mon-fri, lists like sat,sun")
        a, b = DAYS.index(ends[0][:3]), DAYS.index(ends[-1][:3])
        out.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(out)


def _zone(tz: str, source: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"freeze window `{source}`: unknown timezone `{tz}`",
                           hint="use an IANA name such as Europe/Paris or UTC") from None
    return tz


def parse_window(text: str, name: str | None = None) -> FreezeWindow:
    """Parse one freeze window string, raising InvalidInput naming the bad part."""
    parts = text.split()
    if not parts or len(parts) > 3:
        raise InvalidInput(f"freeze window `{text}`: expected `<days> [HH:MM-HH:MM] [timezone]`")
    label = name or text
    tz = "UTC"
    if len(parts) >= 2 and not _TIME.match(parts[-1]):
        tz = _zone(parts.pop(), text)
    if m := _DATES.match(parts[0]):
        if len(parts) > 1:
            raise InvalidInput(f"freeze window `{text}`: a date range takes no time of day")
        first, last = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
        if last < first:
            raise InvalidInput(f"freeze window `{text}`: the range ends before it starts")
        return FreezeWindow(label, tz, first_day=first, last_day=last)
    days = _days(parts[0], text)
    start, end = 0, 1440
    if len(parts) == 2:
        t = _TIME.match(parts[1])
        if not t:
            raise InvalidInput(f"freeze window `{text}`: `{parts[1]}` is not HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in t.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 > 23 or m1 > 59 or m2 > 59 or end > 1440 or start == end:
            raise InvalidInput(f"freeze window `{text}`: `{parts[1]}` is not a valid time range")
    return FreezeWindow(label, tz, days, start, end)


def active_window(windows: Iterable[FreezeWindow], now: datetime) -> FreezeWindow | None:
    """Return the first window containing now, if any."""
    return next((w for w in windows if w.contains(now)), None)
