"""Freeze windows: weekday/time ranges in a timezone, overnight spans, date ranges, bad input."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from engine.errors import InvalidInput
from engine.models.freeze import active_window, parse_window
from engine.models.verdicts import Snapshot, evaluate_all


def at(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=timezone.utc)


def test_weekend_all_day() -> None:
    w = parse_window("sat-sun")
    assert w.contains(at("2026-11-28T00:00"))  # Saturday
    assert w.contains(at("2026-11-29T23:59"))  # Sunday
    assert not w.contains(at("2026-11-30T00:00"))  # Monday


def test_time_range_in_a_timezone() -> None:
    w = parse_window("fri 16:00-24:00 Europe/Paris")
    assert w.contains(at("2026-11-27T15:00"))  # 16:00 in Paris (UTC+1 in winter)
    assert not w.contains(at("2026-11-27T14:59"))
    assert w.contains(at("2026-11-27T22:59")) and not w.contains(at("2026-11-27T23:00"))


def test_overnight_range_belongs_to_its_start_day() -> None:
    w = parse_window("fri 22:00-06:00")
    assert w.contains(at("2026-11-27T23:00"))  # Friday night
    assert w.contains(at("2026-11-28T05:59"))  # Saturday morning, tail of Friday's window
    assert not w.contains(at("2026-11-28T22:30"))  # Saturday night is not listed
    assert not w.contains(at("2026-11-27T05:00"))  # Friday morning belongs to Thursday


def test_wrapping_day_range_and_lists() -> None:
    assert parse_window("fri-mon").days == frozenset({4, 5, 6, 0})
    assert parse_window("mon,wed").days == frozenset({0, 2})


def test_date_range_inclusive_in_timezone() -> None:
    w = parse_window("2026-12-20..2027-01-03 Asia/Tokyo")
    assert w.contains(at("2026-12-19T15:00"))  # already Dec 20 in Tokyo
    assert w.contains(at("2027-01-03T14:59")) and not w.contains(at("2027-01-03T15:00"))


@pytest.mark.parametrize("bad", ["funday", "mon 25:00-26:00", "mon 10:00-10:00", "mon 10:00 Mars/Base",
                                 "2027-01-03..2026-12-20", "", "mon 09:00-10:00 UTC extra"])
def test_bad_windows_are_invalid_input(bad: str) -> None:
    with pytest.raises(InvalidInput):
        parse_window(bad)


def test_active_window_and_freeze_gate_result() -> None:
    windows = [parse_window("mon 09:00-10:00", name="standup"), parse_window("sat-sun", name="weekend")]
    assert active_window(windows, at("2026-11-30T11:00")) is None
    out = evaluate_all([], Snapshot(2), {}, "champion", windows, now=at("2026-11-28T12:00"))
    assert len(out) == 1 and not out[0].passed and "weekend" in out[0].reason
    assert evaluate_all([], Snapshot(2), {}, "champion", windows, now=at("2026-11-30T11:00")) == []
