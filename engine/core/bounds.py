"""Bounded parsing of the numbers and durations people type: ASCII digits, a range, a clear refusal."""

from __future__ import annotations

import re
from datetime import timedelta

from engine.errors import InvalidInput

# PostgreSQL `integer`: the narrowest id column a user can name (incidents, approvals, ...).
# A bigger number cannot name a row, and would make the database refuse the query instead.
ID_MAX = 2**31 - 1
SEQ_MAX = 2**63 - 1  # `bigint`: audit sequence numbers
# Past this a duration means nothing to us and `timedelta` itself would overflow.
DURATION_MAX = timedelta(days=3650)
PERIOD_DAYS_MAX = 365  # reports (`stats`, `rca stats`, `auto report`) look back at most a year
_DURATION = re.compile(r"([0-9]{1,15}(?:\.[0-9]{1,9})?)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def shown(text: str, limit: int = 24) -> str:
    """Return text quoted for a message, cut to `limit` characters so a huge value stays short."""
    text = str(text)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def parse_int(text: str, what: str, *, lo: int = 1, hi: int = ID_MAX, hint: str | None = None) -> int:
    """Return text as an int in [lo, hi] (ASCII digits only), or raise InvalidInput naming `what`."""
    s = str(text).strip()
    digits = s.lstrip("0") or "0"
    # str.isdigit() alone accepts "²" and "١", which int() then refuses or reads as another number.
    if (not s or not s.isascii() or not s.isdigit() or len(digits) > len(str(hi))
            or not lo <= int(digits) <= hi):
        raise InvalidInput(f"{what} {shown(s)} is not a whole number from {lo} to {hi}", hint=hint)
    return int(digits)


def parse_duration(text: str, what: str = "window", *, hi: timedelta = DURATION_MAX) -> timedelta:
    """Parse `30m`, `24h`, `7d` into a positive timedelta up to `hi`, or raise InvalidInput naming `what`."""
    m = _DURATION.fullmatch(str(text).strip().lower())
    if not m or float(m[1]) <= 0:
        raise InvalidInput(f"{what} {shown(text)}: use a positive number and a unit, e.g. 30m, 24h, 7d")
    seconds = float(m[1]) * timedelta(**{_UNITS[m[2]]: 1}).total_seconds()
    if seconds > hi.total_seconds():
        raise InvalidInput(f"{what} {shown(text)} is too long: the longest is {hi.days}d",
                           hint="use e.g. 24h, 7d or 30d")
    return timedelta(seconds=seconds)


def check_period_days(days: int) -> timedelta:
    """Return a report's look-back of `days` as a timedelta, or raise InvalidInput outside 1d-365d."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= PERIOD_DAYS_MAX:
        raise InvalidInput(f"{shown(str(days))} days is out of range: periods run from 1d to {PERIOD_DAYS_MAX}d",
                           hint="use e.g. 7d or 30d")
    return timedelta(days=days)
