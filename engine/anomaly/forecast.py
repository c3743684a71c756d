"""Predictive alerts: robust trend plus daily seasonality, forecast to a limit crossing."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
from scipy.stats import theilslopes

from engine.anomaly.detectors.features import MAD_TO_SIGMA, period_from_step

MAX_FIT_POINTS = 400  # Theil-Sen is O(n^2): subsample the history evenly


class Direction(str, Enum):
    """Which side of the limit is trouble."""

    ABOVE = "above"
    BELOW = "below"


@dataclass(frozen=True)
class ForecastRule:
    """A configured limit: alert when the forecast crosses it within the horizon."""

    limit: float
    horizon_seconds: float
    direction: Direction = Direction.ABOVE
    z: float = 1.64  # band half-width in residual sigmas (about 90%)
    min_points: int = 30


@dataclass(frozen=True)
class Crossing:
    """Forecast outcome: whether and when the limit is crossed, with uncertainty."""

    crosses: bool
    reason: str
    seconds_left: float | None = None
    value: float | None = None  # forecast at the crossing (or at the horizon)
    lower: float | None = None
    upper: float | None = None
    earliest_seconds: float | None = None  # when the pessimistic band crosses
    slope_per_hour: float = 0.0


def _seasonal_profile(t: np.ndarray, resid: np.ndarray, step: float, period: int) -> np.ndarray | None:
    """Return the median detrended value per phase, or None without two full days."""
    if t[-1] - t[0] < (2 * period - 1) * step:
        return None
    phase = np.floor((t / step) % period).astype(int)
    prof = np.zeros(period)
    for k in range(period):
        sel = resid[phase == k]
        prof[k] = np.median(sel) if len(sel) else 0.0
    return prof - np.median(prof)


def forecast_crossing(timestamps: np.ndarray, values: np.ndarray, rule: ForecastRule) -> Crossing:
    """Fit trend (+ daily seasonality) on the history and find the first limit crossing."""
    t = np.asarray(timestamps, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(t) & np.isfinite(y)
    t, y = t[ok], y[ok]
    if len(y) < rule.min_points:
        return Crossing(False, "not enough history")
    step = float(np.median(np.diff(t)))
    period = period_from_step(step)
    sign = 1.0 if rule.direction is Direction.ABOVE else -1.0
    season = np.zeros_like(y)
    prof = None
    idx = np.linspace(0, len(y) - 1, min(len(y), MAX_FIT_POINTS)).astype(int)
    for rounds in range(3):  # alternate trend and season fits; the last fit is a trend fit
        slope, icpt, lo_slope, hi_slope = theilslopes((y - season)[idx], t[idx] - t[-1])
        if not period or rounds == 2:
            break
        new_prof = _seasonal_profile(t, y - (icpt + slope * (t - t[-1])), step, period)
        if new_prof is None:
            break
        prof = new_prof
        season = prof[np.floor((t / step) % period).astype(int)]
    fitted = icpt + slope * (t - t[-1]) + season
    sigma = MAD_TO_SIGMA * float(np.median(np.abs(y - fitted))) + 1e-12
    future = t[-1] + np.arange(1, int(rule.horizon_seconds / step) + 1) * step
    ahead = future - t[-1]
    fseason = prof[np.floor((future / step) % period).astype(int)] if prof is not None else 0.0
    point = icpt + slope * ahead + fseason
    # Slope uncertainty grows with lead time; residual noise does not.
    spread = np.abs(hi_slope - lo_slope) / 2.0 * ahead + rule.z * sigma
    lower, upper = point - spread, point + spread
    pessimistic = upper if sign > 0 else lower
    slope_h = float(slope) * 3600.0
    if sign * (y[-1] - rule.limit) >= 0:
        return Crossing(True, "already past the limit", 0.0, float(y[-1]), float(y[-1]), float(y[-1]), 0.0, slope_h)
    hit = np.nonzero(sign * (point - rule.limit) >= 0)[0]
    early = np.nonzero(sign * (pessimistic - rule.limit) >= 0)[0]
    earliest = float(ahead[early[0]]) if len(early) else None
    if not len(hit):
        k = len(point) - 1
        return Crossing(False, "forecast stays within the limit", None, float(point[k]), float(lower[k]), float(upper[k]), earliest, slope_h)
    k = int(hit[0])
    return Crossing(True, "forecast crosses the limit", float(ahead[k]), float(point[k]), float(lower[k]), float(upper[k]), earliest, slope_h)
