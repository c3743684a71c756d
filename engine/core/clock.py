"""Injected time, so tests control it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from engine.ports import Clock

__all__ = ["Clock", "FakeClock", "SystemClock", "utc"]


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(timezone.utc)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=timezone.utc)

    def now(self) -> datetime:
        """Return the fake current time."""
        return self._now

    def advance(self, seconds: float = 0.0, **kw: float) -> datetime:
        """Move time forward and return the new now."""
        self._now += timedelta(seconds=seconds, **kw)
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to a given time."""
        self._now = when


def utc(dt: datetime) -> datetime:
    """Return dt as timezone-aware UTC (naive values from SQLite are taken as UTC)."""
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)
