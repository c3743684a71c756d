"""The `watches:` section is validated at start with messages naming the key."""

from __future__ import annotations

import pytest

from engine.anomaly.watches.config import seconds
from engine.anomaly.watches.scoring import humanize
from engine.config import parse_config
from engine.anomaly.watches.config import DEFAULT_THRESHOLD
from engine.errors import InvalidInput


def test_a_full_watch_parses_with_durations_in_seconds():
    cfg = parse_config({"watches": [{"name": "disk-db", "query": "node_filesystem_avail_bytes", "step": "5m",
                                     "lookback": "2d", "labels": {"service": "$job", "owner": "dba"},
                                     "channel": "#db", "forecast": {"limit": 0.05, "direction": "below",
                                                                    "horizon": "6h"}}]})
    [w] = cfg.watches
    assert (w.step_s, w.lookback_s, w.interval_s, w.resolve_after_s) == (300, 172800, 300, 1800)
    assert w.forecast.direction == "below" and w.threshold == DEFAULT_THRESHOLD


@pytest.mark.parametrize("watch, problem", [
    ({"name": "a"}, "exactly one source"),
    ({"name": "a", "query": "up", "replay": {"path": "x.csv"}}, "exactly one source"),
    ({"name": "a", "query": "up", "step": "5 minutes"}, "not a duration"),
    ({"name": "a", "query": "up", "detector": "magic"}, "unknown detector"),
    ({"name": "a", "query": "up", "step": "1h", "lookback": "2h"}, "at least 10 steps"),
    ({"name": "Bad Name", "query": "up"}, "watches.0.name"),
    ({"name": "a", "query": "up", "colour": "red"}, "unknown key"),
])
def test_bad_watches_are_refused_naming_the_problem(watch, problem):
    with pytest.raises(InvalidInput, match=problem):
        parse_config({"watches": [watch]})


def test_two_watches_with_one_name_are_refused():
    with pytest.raises(InvalidInput, match="defined twice"):
        parse_config({"watches": [{"name": "a", "query": "up"}, {"name": "a", "query": "up"}]})


def test_durations_and_time_left_read_like_people_write_them():
    assert [seconds(x) for x in ("90", "30s", "5m", "2h", "7d")] == [90, 30, 300, 7200, 604800]
    assert [humanize(x) for x in (0, 45, 2400, 3 * 3600, 3 * 86400)] == ["now", "45 s", "40 min", "3 h", "3.0 d"]
