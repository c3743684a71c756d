"""Predictive alerts: robust trend plus daily seasonality, forecast to a limit crossing."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from engine.anomaly.detectors.blocks import nan_median
from engine.anomaly.detectors.features import MAD_TO_SIGMA, period_from_step

MAX_FIT_POINTS = 150  # Theil-Sen is O(n^2): subsample the history evenly
NOW_POINTS = 5  # the current level is the median of the last few residuals, not one point


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
    # The trend is extrapolated from this recent stretch (season removed using the whole
    # history), so a growth that has levelled off stops alerting and a fresh climb counts.
    recent_seconds: float = 12 * 3600.0


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


def theilslopes(y: np.ndarray, x: np.ndarray, z: float = 1.96) -> tuple[float, float, float, float]:
    """Return (slope, intercept, low slope, high slope): Theil-Sen with Sen's 95% interval."""
    dx = x[None, :] - x[:, None]
    dy = y[None, :] - y[:, None]
    upper = dx > 0
    slopes = np.sort(dy[upper] / dx[upper])
    n, k = len(x), len(slopes)
    slope = float(np.median(slopes))
    # Ranks of the interval from the variance of Kendall's S (no ties), as scipy does.
    half = z * np.sqrt(n * (n - 1) * (2 * n + 5) / 18.0)
    lo = int(np.clip(np.round((k - half) / 2.0), 0, k - 1))
    hi = int(np.clip(np.round((k + half) / 2.0) - 1, 0, k - 1))
    return slope, float(np.median(y) - slope * np.median(x)), float(slopes[lo]), float(slopes[hi])


def _seasonal_profile(t: np.ndarray, resid: np.ndarray, step: float, period: int) -> np.ndarray | None:
    """Return the median detrended value per phase, or None without two full days."""
    if t[-1] - t[0] < (2 * period - 1) * step:
        return None
    slot = np.floor(t / step).astype(np.int64)
    phase = slot % period
    day = (slot - slot[0] + phase[0]) // period
    grid = np.full((int(day.max()) + 1, period), np.nan)
    grid[day, phase] = resid
    prof, _ = nan_median(grid, axis=0)
    prof = np.nan_to_num(prof, nan=0.0)
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
    for rounds in range(3):  # alternate trend and season fits on the whole history
        slope, icpt, _, _ = theilslopes((y - season)[idx], t[idx] - t[-1])
        if not period or rounds == 2:
            break
        new_prof = _seasonal_profile(t, y - (icpt + slope * (t - t[-1])), step, period)
        if new_prof is None:
            break
        prof = new_prof
        season = prof[np.floor((t / step) % period).astype(int)]
    recent = np.nonzero(t >= t[-1] - rule.recent_seconds)[0]
    if len(recent) >= rule.min_points:
        ridx = recent[np.linspace(0, len(recent) - 1, min(len(recent), MAX_FIT_POINTS)).astype(int)]
        slope, icpt, lo_slope, hi_slope = theilslopes((y - season)[ridx], t[ridx] - t[-1])
    else:
        slope, icpt, lo_slope, hi_slope = theilslopes((y - season)[idx], t[idx] - t[-1])
    sel = recent if len(recent) >= rule.min_points else np.arange(len(y))
    resid = y[sel] - (icpt + slope * (t[sel] - t[-1]) + season[sel])
    sigma = MAD_TO_SIGMA * float(np.median(np.abs(resid - np.median(resid)))) + 1e-12
    # Re-anchor on the last few residuals: a fresh step shows up before the slope does.
    icpt += float(np.median(resid[-NOW_POINTS:]))
    future = t[-1] + np.arange(1, int(rule.horizon_seconds / step) + 1) * step
    ahead = future - t[-1]
    fseason = prof[np.floor((future / step) % period).astype(int)] if prof is not None else 0.0
    point = icpt + slope * ahead + fseason
    # Slope uncertainty grows with lead time; residual noise does not.
    spread = np.abs(hi_slope - lo_slope) / 2.0 * ahead + rule.z * sigma
    lower, upper = point - spread, point + spread
    pessimistic = upper if sign > 0 else lower
    slope_h = float(slope) * 3600.0
    now = float(np.median(y[-NOW_POINTS:]))  # one noisy point past the limit is not "past"
    if sign * (now - rule.limit) >= 0:
        return Crossing(True, "already past the limit", 0.0, now, now, now, 0.0, slope_h)
    hit = np.nonzero(sign * (point - rule.limit) >= 0)[0]
    early = np.nonzero(sign * (pessimistic - rule.limit) >= 0)[0]
    earliest = float(ahead[early[0]]) if len(early) else None
    if not len(hit):
        k = len(point) - 1
        return Crossing(False, "forecast stays within the limit", None, float(point[k]), float(lower[k]), float(upper[k]), earliest, slope_h)
    k = int(hit[0])
    return Crossing(True, "forecast crosses the limit", float(ahead[k]), float(point[k]), float(lower[k]), float(upper[k]), earliest, slope_h)
