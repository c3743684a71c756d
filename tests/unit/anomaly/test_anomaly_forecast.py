"""Predictive alerts: a rising series is caught ahead of time, then resolves."""

import numpy as np
import pytest

from engine.anomaly.forecast import Direction, ForecastRule, forecast_crossing
from engine.lab.anomaly.synthetic import CROSSING, KINDS, make_scenarios

STEP = 300.0
T = 1.7e9 + np.arange(2 * 288) * STEP
RNG = np.random.default_rng(3)
SEASON = 5 * np.sin(2 * np.pi * T / 86400)
HOURS = (T - T[0]) / 3600


def test_rising_disk_is_forecast_to_cross_with_time_left():
    y = 50 + 0.5 * HOURS + SEASON + RNG.normal(0, 1, len(T))
    c = forecast_crossing(T, y, ForecastRule(limit=78, horizon_seconds=12 * 3600))
    assert c.crosses and c.reason == "forecast crosses the limit"
    assert c.slope_per_hour == pytest.approx(0.5, rel=0.1)
    assert 3600 <= c.seconds_left <= 9 * 3600
    assert c.lower <= c.value <= c.upper
    assert c.earliest_seconds <= c.seconds_left


def test_limit_beyond_horizon_does_not_alert():
    y = 50 + 0.5 * HOURS + SEASON + RNG.normal(0, 1, len(T))
    c = forecast_crossing(T, y, ForecastRule(limit=200, horizon_seconds=6 * 3600))
    assert not c.crosses and c.seconds_left is None


def test_alert_resolves_when_the_trend_stops():
    rising = 50 + 0.5 * HOURS + RNG.normal(0, 0.5, len(T))
    rule = ForecastRule(limit=77, horizon_seconds=8 * 3600)
    assert forecast_crossing(T, rising, rule).crosses
    # Someone cleaned the disk: the next day's history is flat at a lower level.
    later_t = T + 2 * 86400
    flat = 40 + RNG.normal(0, 0.5, len(T))
    assert not forecast_crossing(later_t, flat, rule).crosses


def test_below_direction_and_already_past():
    falling = 100 - 0.5 * HOURS + RNG.normal(0, 0.3, len(T))
    c = forecast_crossing(T, falling, ForecastRule(limit=70, horizon_seconds=12 * 3600, direction=Direction.BELOW))
    assert c.crosses and c.seconds_left > 0
    past = forecast_crossing(T, falling, ForecastRule(limit=90, horizon_seconds=3600, direction=Direction.BELOW))
    assert past.crosses and past.seconds_left == 0.0


def test_short_history_is_refused():
    assert not forecast_crossing(T[:5], np.arange(5.0), ForecastRule(limit=1, horizon_seconds=60)).crosses


def test_scenarios_know_their_crossings():
    scen = make_scenarios(16, seed=1)
    assert {s.name.rsplit("-", 1)[0] for s in scen} == set(KINDS)
    for s in scen:
        crossing = s.name.rsplit("-", 1)[0] in CROSSING
        assert (s.cross_at is not None) == crossing
        assert crossing or s.values.max() < s.limit + 6  # noise may touch it, the truth never does
