"""The ensemble over many fresh series at once: the members side by side in one score_matrix call."""

from __future__ import annotations

import numpy as np

from engine.anomaly.detectors.calm import CalmState, calm_scores
from engine.anomaly.detectors.ensemble_views import (
    COARSE_WEIGHT, SCALE_PROBE, SPREAD_HALFLIFE, SPREAD_WEIGHT, bucket_means, coarse_rows, combine_members,
    default_params, log_scale,
)
from engine.anomaly.detectors.features import period_from_step
from engine.anomaly.detectors.record import PERIOD_PROBE
from engine.anomaly.detectors.robust import RobustParams, State, score_matrix
from engine.anomaly.detectors.spread import SpreadState, score_spread


def score_fresh_matrix(
    values: np.ndarray, period: int | None, params: RobustParams | None = None,
    step: float | None = None, coarse: bool = False, flat: bool = False, stamps: np.ndarray | None = None,
) -> np.ndarray:
    """Score m fresh series at once (values (n, m), n >= SCALE_PROBE): same scores as one detector each.

    step is the sampling step in seconds (default: a day / period); without either there is no coarse view.
    With stamps (n epoch seconds, shared by the columns) the calm layer applies, as in `ensemble-calm`.
    """
    p = params or default_params(coarse, stamps is not None)
    n, m = values.shape
    if n < SCALE_PROBE:
        raise ValueError(f"need at least {SCALE_PROBE} rows to fix the log scale")
    scales = np.array([log_scale(values[:SCALE_PROBE, j]) for j in range(m)])
    x = np.hstack([values, np.arcsinh(values / scales)])  # members side by side: raw block, asinh block
    scored = score_matrix(x, State.fresh(2 * m, p, period), period, p)
    members = np.stack([scored.scores[:, :m], scored.scores[:, m:]], axis=-1).reshape(n * m, 2)
    below = (values < scored.expected[:, :m]).reshape(n * m)
    out = combine_members(members, below, stamps is not None).reshape(n, m)
    step = step if step is not None else (86400.0 / period if period else None)
    k = coarse_rows(step) if coarse and step and n >= PERIOD_PROBE else None
    if step and k is not None and n // k >= SCALE_PROBE:
        done = n // k
        cperiod = period_from_step(k * step)  # what the coarse detector infers from its bucket stamps
        means = bucket_means(values[: done * k], k)
        coarse_scores = np.minimum(1.0, COARSE_WEIGHT * score_fresh_matrix(means, cperiod, p, coarse=False))
        out[k - 1 : done * k : k] = np.maximum(out[k - 1 : done * k : k], coarse_scores)
    if flat:
        spread, _ = score_spread(values, SpreadState.fresh(m, p.blocks), p.block, SPREAD_HALFLIFE)
        out = np.maximum(out, SPREAD_WEIGHT * spread)
    if stamps is not None:
        ts = np.asarray(stamps, dtype=np.float64)
        out = np.stack([calm_scores(ts, out[:, j], CalmState.fresh()) for j in range(m)], axis=1)
    return out
