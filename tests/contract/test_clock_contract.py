"""One contract for the clock port: the system clock and the test clock."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from engine.core.clock import FakeClock, SystemClock


@pytest.fixture(params=["fake", "system"])
def clock(request):
    """The clock port, once per implementation."""
    return FakeClock() if request.param == "fake" else SystemClock()


def test_now_is_timezone_aware_utc(clock):
    now = clock.now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert now.astimezone(timezone.utc) == now


def test_now_never_goes_backwards(clock):
    seen = [clock.now() for _ in range(50)]
    assert seen == sorted(seen)
