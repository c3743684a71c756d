"""Slow component of each series (a daily wave, a drift), fitted on the baseline rows only.

Load follows the day, and CPU and latency follow the load: over the hour or two before an
incident such a wave moves a series by several robust sigmas of its minute-to-minute noise,
so its deviation and onset would start long before the fault.  The fit sees only baseline
rows (causal: nothing after the baseline shapes it) and is extrapolated over the search
window; ``signals.analyse`` measures deviations and onsets around it.
"""

from __future__ import annotations

import numpy as np

DAY_S = 86400.0
HUBER = 1.345  # robust sigmas: the usual Huber constant (95 % efficiency under Gaussian noise)
IRLS_STEPS = 3
MIN_ROWS = 30  # below this a fit extrapolates noise


def daily_design(times: np.ndarray) -> np.ndarray:
    """Return the regressors at ``times`` (unix seconds): level, one-day sine and cosine."""
    phase = 2 * np.pi * times / DAY_S
    return np.column_stack([np.ones_like(times), np.sin(phase), np.cos(phase)])


def baseline_trend(times: np.ndarray, values: np.ndarray, base_rows: np.ndarray) -> np.ndarray:
    """Return per row and column the level plus daily wave fitted robustly on ``base_rows`` only.

    A Huber fit by iteratively reweighted least squares, all columns at once.  Three
    coefficients on an hour or more of rows: a stationary series gets a flat fit (its level),
    so only a real wave is removed.  Where the baseline is too short nothing is removed
    (the zero array).
    """
    rows = np.flatnonzero(base_rows)
    out = np.zeros_like(values, dtype=float)
    if rows.size < MIN_ROWS or not values.size:
        return out
    x = daily_design(times)
    xb, yb = x[rows], values[rows]
    p = x.shape[1]
    pairs = (xb[:, :, None] * xb[:, None, :]).reshape(len(rows), p * p)  # row-wise outer products
    weights = np.ones_like(yb, dtype=float)
    coef = np.zeros((x.shape[1], values.shape[1]))
    for _ in range(IRLS_STEPS):
        # Per column: (X' W X) b = X' W y, solved as one batch (as matrix products: einsum is slower).
        gram = (weights.T @ pairs).reshape(-1, p, p) + 1e-9 * np.eye(p)
        rhs = (weights * yb).T @ xb
        coef = np.linalg.solve(gram, rhs[..., None])[..., 0].T
        resid = yb - xb @ coef
        scale = np.median(np.abs(resid - np.median(resid, axis=0)), axis=0) * 1.4826
        scale[scale <= 0] = np.inf  # a (mostly) constant baseline keeps unit weights
        weights = np.minimum(1.0, HUBER * scale / np.maximum(np.abs(resid), 1e-12))
    out[:] = x @ coef
    return out
