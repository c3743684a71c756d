"""ReplaySource: recorded signals from a CSV, and a clear answer before anything was recorded."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from engine.errors import Unavailable
from engine.rca.candidates import ReplaySource


async def test_missing_recording_is_unavailable_and_a_later_recording_is_read(tmp_path):
    path = tmp_path / "replay.csv"
    source = ReplaySource(path)
    start, end = datetime.fromtimestamp(0, timezone.utc), datetime.fromtimestamp(600, timezone.utc)
    with pytest.raises(Unavailable, match="no recorded signals") as err:
        await source.fetch("db", "latency", "", start, end, 60)
    assert err.value.hint  # says what to do
    path.write_text("time,db_latency,web_errors\n0,1.0,0.1\n60,1.5,0.2\n120,9.0,0.3\n")
    got = await source.fetch("db", "latency", "", start, end, 60)
    assert list(got.values) == [1.0, 1.5, 9.0]
    assert await source.fetch("db", "saturation", "", start, end, 60) is None  # not recorded
