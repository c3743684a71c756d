"""Shared helpers: decayed running max (record scores) and the daily period from the step."""

from __future__ import annotations

import math

import numpy as np

MAD_TO_SIGMA = 1.4826


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
