"""Bounded parsing: only ASCII digits in range become numbers; every refusal names the value."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.core.bounds import ID_MAX, PERIOD_DAYS_MAX, check_period_days, parse_duration, parse_int
from engine.errors import InvalidInput


def test_parse_int_reads_plain_digits_in_range():
    assert parse_int("42", "incident id") == 42
    assert parse_int(" 007 ", "incident id") == 7
    assert parse_int(str(ID_MAX), "incident id") == ID_MAX


@pytest.mark.parametrize("text", ["", "abc", "²", "¹²³", "١٢", "-1", "0", "4.2", str(ID_MAX + 1), "9" * 400])
def test_parse_int_refuses_with_the_value_and_range(text):
    with pytest.raises(InvalidInput) as err:
        parse_int(text, "incident id")
    assert err.value.message.startswith("incident id ") and f"from 1 to {ID_MAX}" in err.value.message
    assert len(err.value.message) < 120  # a 400-digit value is cut, not echoed


def test_parse_duration_bounds_and_names_the_field():
    assert parse_duration("24h") == timedelta(hours=24)
    assert parse_duration("0.5d", "window") == timedelta(hours=12)
    for bad, words in [("99999999999999h", "too long"), ("0h", "positive"), ("1e5h", "positive"), ("²h", "positive")]:
        with pytest.raises(InvalidInput, match=words):
            parse_duration(bad, "--window")


def test_a_report_period_is_one_day_to_a_year_at_every_door():
    assert check_period_days(1) == timedelta(days=1) and check_period_days(PERIOD_DAYS_MAX) == timedelta(days=365)
    # 999999999 days once overflowed `now - timedelta(days=...)` inside `/ops auto report` (a 500).
    for bad in (0, -3, PERIOD_DAYS_MAX + 1, 999_999_999, True):
        with pytest.raises(InvalidInput) as err:
            check_period_days(bad)
        assert "periods run from 1d to 365d" in err.value.message
