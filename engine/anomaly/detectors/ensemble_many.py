"""Many fresh ensemble detectors fed the same stamps at once: one matrix call, one detector per series after.

A watch's first run reads a whole lookback (a day of 1-minute rows) for every series it finds.
One detector per series pays numpy's per-call overhead on arrays two columns wide, about ten
times what the same rows cost as columns of one matrix. Here the series' members sit side by
side (series j's raw and asinh members in columns 2j and 2j + 1) in the calls a fresh
detector's score_batch makes, and each detector then gets its own columns of the state, so it
continues, persists and restores exactly as if it had scored its series alone. Steps whose
floating-point order could depend on the matrix's width (the asinh transform, the two-hour
means, the calm layer) run per series, as score_batch runs them; tests compare scores and
persisted states with the one-detector path.
"""

from __future__ import annotations

import numpy as np

from engine.anomaly.detectors.blocks import BlockState
from engine.anomaly.detectors.calm import calm_scores
from engine.anomaly.detectors.ensemble import EnsembleDetector
from engine.anomaly.detectors.ensemble_views import (
    COARSE_WEIGHT, MEMBERS, SCALE_PROBE, bucket_means, coarse_rows, combine_members, log_scale,
)
from engine.anomaly.detectors.record import PERIOD_PROBE
from engine.anomaly.detectors.robust import CHANNELS, State, score_matrix
from engine.anomaly.types import Detector


def _fresh(d: Detector) -> bool:
    """Return whether d is an ensemble detector that has seen nothing (and has no flatline view)."""
    return (
        isinstance(d, EnsembleDetector) and d._flat is None and d.scale is None and d.period is None
        and not d._held and not d._stamps and d._state.seen == 0 and d.bucket is None and not d._pending
        and d._coarse is None and (d._calm is None or d._calm.t0 is None) and not np.any(d._floors)
    )


def batchable(dets: list[Detector]) -> bool:
    """Return whether these detectors can be scored together: fresh ensembles of one variant and sensitivity."""
    if not dets or not all(_fresh(d) for d in dets):
        return False
    d0 = dets[0]
    assert isinstance(d0, EnsembleDetector)
    return all(
        d.params == d0.params and d.sensitivity == d0.sensitivity and d.coarse == d0.coarse
        and (d._calm is None) == (d0._calm is None)
        for d in dets if isinstance(d, EnsembleDetector)
    )


def score_fresh_many(dets: list[Detector], ts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Score values (n, m) at stamps ts (n,) with m detectors; the same as dets[j].score_batch(ts, values[:, j])."""
    ts = np.asarray(ts, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    n, m = values.shape
    # A batch of one row past the scale probe takes score_batch's one-row float path: leave it to it.
    if m < 2 or n < SCALE_PROBE + 2 or not batchable(dets):
        return np.stack([d.score_batch(ts, values[:, j]) for j, d in enumerate(dets)], axis=1).reshape(n, m)
    eds = [d for d in dets if isinstance(d, EnsembleDetector)]
    out = _score_fine(eds, ts, values)
    if eds[0].coarse:
        out = np.maximum(out, np.minimum(1.0, COARSE_WEIGHT * _score_coarse(eds, ts, values)))
    if eds[0]._calm is not None:
        for j, d in enumerate(eds):
            assert d._calm is not None
            out[:, j] = calm_scores(ts, out[:, j], d._calm)
    return out


def _score_fine(dets: list[EnsembleDetector], ts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The row view: the scale probe's rows (scored 0, they only teach), then the rest, every member at once."""
    n, m = values.shape
    d0 = dets[0]
    for j, d in enumerate(dets):
        d.scale = log_scale(values[:SCALE_PROBE, j])
        d._probe_period(ts[:SCALE_PROBE])
    state = State.fresh(MEMBERS * m, d0.params)
    floors = np.zeros((CHANNELS, MEMBERS * m))
    out = np.zeros((n, m))
    for rows in (slice(0, SCALE_PROBE), slice(SCALE_PROBE, n)):
        v = values[rows]
        x = np.empty((len(v), MEMBERS * m))
        for j, d in enumerate(dets):  # per column, as score_batch computes it
            assert d.scale is not None
            x[:, 2 * j] = v[:, j]
            x[:, 2 * j + 1] = np.arcsinh(v[:, j] / d.scale)
        scored = score_matrix(x, state, d0.period, d0.params, d0.sensitivity, floors)
        state = scored.state
        below = (v < scored.expected[:, 0::2]).reshape(-1)
        members = scored.scores.reshape(len(v) * m, MEMBERS)
        out[rows] = combine_members(members, below, d0._calm is not None).reshape(len(v), m)
    out[:SCALE_PROBE] = 0.0  # held rows score 0 in score_batch, whatever the members said
    for j, d in enumerate(dets):
        cols = slice(2 * j, 2 * j + 2)
        d._state = _columns(state, cols)
        d._last = (values[-1, j], scored.expected[-1, 2 * j], scored.scale[-1, 2 * j],
                   scored.deviation[:, -1, cols].copy(), scored.record[:, -1, 2 * j] / d.sensitivity)
    return out


def _score_coarse(dets: list[EnsembleDetector], ts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The two-hour view: bucket means per series, scored by fresh row-view detectors together."""
    n, m = values.shape
    out = np.zeros((n, m))
    k = coarse_rows(float(np.median(np.diff(ts[:PERIOD_PROBE]))))
    if k is None:  # steps of an hour or more: no coarser view worth having
        for d in dets:
            d.coarse, d.bucket, d._pending = False, None, []
        return out
    done = n // k
    stamps = ts.tolist()
    for j, d in enumerate(dets):
        d.bucket = k
        d._pending = list(zip(stamps[done * k :], values[done * k :, j].tolist()))
    if done == 0:
        return out
    subs: list[Detector] = []
    for d in dets:
        d._coarse = EnsembleDetector(d.params, d.sensitivity, coarse=False)
        subs.append(d._coarse)
    means = np.stack([bucket_means(values[: done * k, j].copy(), k) for j in range(m)], axis=1)
    out[k - 1 : done * k : k] = score_fresh_many(subs, ts[k - 1 : done * k : k], means)
    return out


def _columns(s: State, cols: slice) -> State:
    """Return one detector's copy of columns `cols` of a shared state."""
    return State(
        s.raw[:, cols].copy(), s.lev[:, cols].copy(),
        [BlockState(c.partial[:, cols].copy(), c.stats[:, :, cols].copy(),
                    None if c.current is None else c.current[:, cols].copy()) for c in s.chans],
        s.dev_tail[:, cols].copy(), s.record[:, cols].copy(), s.refractory[cols].copy(), s.seen,
        None if s.bounds is None else s.bounds[:, cols].copy(),
        None if s.range_record is None else s.range_record[cols].copy(),
    )
