"""Causal robust deviation features, vectorised over (time, series) matrices."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

MAD_TO_SIGMA = 1.4826
MEAN_AD_TO_SIGMA = 1.2533  # sqrt(pi / 2) for Gaussian noise


def robust_z(v: pd.DataFrame, window: int, rel_floor: float, min_periods: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (|z|, median, scale) of each row against the `window` rows before it."""
    past = v.shift(1).rolling(window, min_periods=min_periods)
    med = past.median()
    # Scale from the residuals of earlier rows, so the current row never sets its own scale.
    resid = (v - med).abs()
    # Mean absolute deviation about the rolling median: O(n) where a second rolling
    # median would double the cost; the median centre already resists outliers.
    scale = MEAN_AD_TO_SIGMA * resid.shift(1).rolling(window, min_periods=min_periods).mean()
    spread = past.max() - past.min()
    # Quantised or flat stretches have MAD 0; a fraction of the range keeps z finite.
    floor = rel_floor * spread + 1e-9 * (med.abs() + 1.0)
    scale = np.maximum(scale, floor)
    z = ((v - med).abs() / scale).fillna(0.0)
    return z, med, scale


def seasonal_residual(v: pd.DataFrame, period: int, seasons: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (v - seasonal baseline, baseline): median of the same phase in past periods."""
    lags = np.stack([v.shift(period * j).to_numpy() for j in range(1, seasons + 1)])
    with warnings.catch_warnings():
        # Phases with no past period yet are all-NaN: their baseline is NaN on purpose.
        warnings.simplefilter("ignore", RuntimeWarning)
        base = np.nanmedian(lags, axis=0)
    baseline = pd.DataFrame(base, index=v.index, columns=v.columns)
    return v - baseline, baseline


def decayed_max(r: np.ndarray, prior: np.ndarray, halflife: float) -> tuple[np.ndarray, np.ndarray]:
    """Return (max before each row with exponential forgetting, carry for the next batch).

    m_t = max(prior * g^(t+1), max_{s<t} r_s * g^(t-s)), g = 2^(-1/halflife), where prior is
    the previous batch's carry (its max up to its last row); computed in
    log space with a cumulative max so it stays vectorised.
    """
    n = r.shape[0]
    lg = -math.log(2.0) / halflife
    t = np.arange(n, dtype=np.float64)[:, None]
    with np.errstate(divide="ignore"):
        a = np.log(np.maximum(r, 0.0)) - t * lg
        init = np.log(np.maximum(prior, 0.0)) + lg
    run = np.maximum.accumulate(np.vstack([init[None, :], a]), axis=0)
    before = np.exp(run[:-1] + t * lg)
    carry = np.exp(run[-1] + (n - 1) * lg)  # max up to the last row, undecayed past it
    return before, carry


def period_from_step(step_seconds: float, max_period: int = 1440) -> int | None:
    """Return the number of points per day when the sampling step divides a day evenly."""
    if not step_seconds or step_seconds <= 0:
        return None
    p = 86400.0 / step_seconds
    rounded = int(round(p))
    if abs(p - rounded) > 0.05 * max(1.0, p / 100.0) or not 12 <= rounded <= max_period:
        return None
    return rounded
