"""iCalendar on-call feeds: RRULE rotations, names, and malformed files refused with a reason."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from engine.errors import InvalidInput
from engine.oncall.ical import on_call_at, parse_calendar

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "oncall"
NOW = datetime(2026, 12, 6, 20, 0, tzinfo=timezone.utc)


def _utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=timezone.utc)


def _cal():
    return parse_calendar((FIX / "platform.ics").read_bytes(), "platform.ics", NOW)


@pytest.mark.parametrize("at, who, until", [
    (_utc(2026, 11, 2, 9, 0), ("Alice Archer",), _utc(2026, 11, 9, 9)),  # first occurrence, its first second
    (_utc(2026, 11, 9, 8, 59), ("Alice Archer",), _utc(2026, 11, 9, 9)),
    (_utc(2026, 11, 9, 9, 0), ("Bob Baker",), _utc(2026, 11, 16, 9)),  # handover at DTEND
    (_utc(2026, 12, 6, 20, 0), ("Alice Archer",), _utc(2026, 12, 7, 9)),  # expanded by RRULE, 5 weeks on
    (_utc(2027, 3, 10, 12, 0), ("Alice Archer",), _utc(2027, 3, 15, 9)),  # 18 weeks on: week A
    (_utc(2026, 12, 22, 12, 0), ("Carol Chen",), _utc(2026, 12, 28, 9)),  # Bob's week excluded, Carol covers
])
def test_rrule_rotation_answers_who_and_until(at, who, until):
    assert on_call_at(_cal(), at) == (who, until)


def test_before_the_first_shift_nobody_is_on_call():
    assert on_call_at(_cal(), _utc(2026, 10, 1)) == ((), None)


def test_attendee_name_wins_over_summary_and_prefix_is_dropped():
    people, _ = on_call_at(_cal(), _utc(2026, 11, 3))
    assert people == ("Alice Archer",)  # CN of the attendee
    people, _ = on_call_at(_cal(), _utc(2026, 11, 10))
    assert people == ("Bob Baker",)  # "On call: Bob Baker" without the prefix


@pytest.mark.parametrize("data, words", [
    ((FIX / "malformed.ics").read_bytes(), "not valid iCalendar"),
    (b"this is not a calendar", "not valid iCalendar"),
    (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "has no events"),
])
def test_malformed_calendars_are_refused_with_the_reason(data, words):
    with pytest.raises(InvalidInput) as err:
        parse_calendar(data, "cal.ics", NOW)
    assert words in err.value.message and "cal.ics" in err.value.message
