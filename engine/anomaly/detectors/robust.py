"""Robust record detector: robust z-scores (plain and seasonal), scored as records.

Each point gets a deviation r = max(robust z against the last `block * blocks` points,
robust z of its residual against the same phase of the past `seasons` days), on the raw
values ("spike") and on a short rolling median ("level", for shifts). The score is
u = r / (r + m), m being the largest deviation seen recently (forgotten with a
half-life), so u > 0.5 exactly when a deviation beats the series' own recent record.
That calibrates one threshold across series of any scale and noise. A fourth, "range"
channel scores how far a value leaves the range of everything seen so far (excess over
that range's width, e / (e + range_c)): a never-seen level is the novelty signal that
contextOSE-style detectors exploit, and it is scale free. A refractory memory damps
repeats so a long incident alerts once.

Parameters and state live in detectors/robust_state.py, the one-row lean path in
detectors/robust_row.py; this module holds the channels and the batch scorer.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from engine.anomaly.detectors.blocks import BlockState, block_deviation, nan_median
from engine.anomaly.detectors.features import decayed_max
from engine.anomaly.detectors.robust_row import score_row
from engine.anomaly.detectors.robust_state import (
    CHANNELS, FMAX, PROBE_ROWS, RECORDS, RobustParams, RowChannel, Scored, State, _resize,
)

# Importers name the detector's parameters, state and scorers from here.
__all__ = [
    "CHANNELS", "FMAX", "PROBE_ROWS", "RECORDS", "RobustParams", "RowChannel", "Scored", "State",
    "score_matrix", "score_row",
]


def _seasonal_residual(tail: np.ndarray, x: np.ndarray, period: int, seasons: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (x - baseline, baseline): baseline is the median of the same phase in past days."""
    full = np.vstack([tail, x])
    h, n = len(tail), len(x)
    lags = np.stack([full[h - j * period : h - j * period + n] for j in range(1, seasons + 1)])
    base, _ = nan_median(lags, axis=0)
    return x - base, base


def _channel(
    x: np.ndarray, tail: np.ndarray, plain: BlockState, seas: BlockState, period: int | None, p: RobustParams
) -> RowChannel:
    """Return (deviation, expected, scale, new plain state, new seasonal state) of one channel."""
    d, plain = block_deviation(x, plain, p.block, p.min_blocks, p.rel_floor)
    dev, expected, scale = d.z, d.centre, d.scale
    if period:
        resid, base = _seasonal_residual(tail, x, period, p.seasons)
        ds, seas = block_deviation(resid, seas, p.block, p.min_blocks, p.rel_floor)
        seasonal = np.isfinite(base + ds.centre)
        # Take the larger deviation so a broken daily pattern alerts even inside the range.
        use = seasonal & (ds.z > dev)
        dev = np.where(seasonal, np.maximum(dev, ds.z), dev)
        expected = np.where(use, base + ds.centre, expected)
        scale = np.where(use, ds.scale, scale)
    return dev, expected, scale, plain, seas


def _range_excess(x: np.ndarray, bounds: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Return (excess of each row over the range of all earlier rows / that range, new bounds)."""
    m = x.shape[1]
    bounds = np.full((2, m), np.nan) if bounds is None else bounds
    hi = np.fmax.accumulate(np.vstack([bounds[0], x]), axis=0)
    lo = np.fmin.accumulate(np.vstack([bounds[1], x]), axis=0)
    width = hi[:-1] - lo[:-1]
    # A flat history has no width: a tiny fraction of the level keeps the ratio finite.
    width = np.maximum(width, 1e-9 * (np.abs(hi[:-1]) + 1.0))
    with np.errstate(invalid="ignore"):
        e = np.fmax(np.fmax(x - hi[:-1], lo[:-1] - x), 0.0) / width
    return np.nan_to_num(e, nan=0.0), np.stack([hi[-1], lo[-1]])


def score_matrix(
    values: np.ndarray,
    state: State,
    period: int | None,
    p: RobustParams,
    sensitivity: np.ndarray | float = 1.0,
    floors: np.ndarray | None = None,
) -> Scored:
    """Score new rows `values` (n, m) of m series that share `state`."""
    n, m = values.shape
    used = state.chans if period else state.chans[::2]
    if n == 1 and all(c.current is not None for c in used):
        # One row with every block's baseline cached (all but the first rows of a series, or
        # the first after a restore) needs no sliding windows: the lean path.
        return score_row(values[0], state, period, p, sensitivity, floors)
    rows = p.tail(period)
    raw, lev = _resize(state.raw, rows), _resize(state.lev, rows)
    recent = np.vstack([raw[len(raw) - (p.level - 1) :], values])
    level, _ = nan_median(sliding_window_view(recent, p.level, axis=0), axis=-1)
    c = state.chans
    spike = _channel(values, raw, c[0], c[1], period, p)
    lvl = _channel(level, lev, c[2], c[3], period, p)
    spike_tail = np.vstack([state.dev_tail, spike[0]])
    # Many moderate deviations close together (denser spikes, more noise) beat a lone one.
    energy = sliding_window_view(spike_tail, p.energy, axis=0).mean(axis=-1)
    excess, bounds = _range_excess(values, state.bounds)
    seen = state.seen + np.arange(1, n + 1)[:, None]
    if p.range_c <= 0:
        excess = np.zeros_like(excess)
    excess = np.where(seen > p.range_warm, excess, 0.0)
    devs = np.stack([spike[0], lvl[0], energy, excess])
    floors = np.zeros((CHANNELS, m)) if floors is None else floors
    records, carries = [], []
    for ch in range(RECORDS):
        before, after = decayed_max(devs[ch], state.record[ch], p.record_halflife)
        records.append(np.maximum(before, floors[ch][None, :]))
        carries.append(after)
    # The range channel's own width already normalises it; with range_halflife a break must
    # also beat the recent breaks' excess.
    rscale, rcarry = _range_scale(excess, state.range_record, p)
    records.append(np.maximum(rscale, floors[RECORDS][None, :]))
    record = np.stack(records)
    sens = np.asarray(sensitivity, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.nan_to_num(sens * devs / (sens * devs + record), nan=0.0)
    u = ratio.max(axis=0)
    u = np.where(p.live(seen, period), u, 0.0)
    prev, refr = decayed_max(u, state.refractory, p.refractory_halflife)
    out = np.where(u > prev, u, p.damp * u)
    new = State(
        np.vstack([raw, values])[-rows:], np.vstack([lev, level])[-rows:],
        [spike[3], spike[4], lvl[3], lvl[4]], spike_tail[len(spike_tail) - (p.energy - 1) :],
        np.stack(carries), refr, state.seen + n, bounds, rcarry,
    )
    return Scored(out, spike[1], spike[2], devs, record, new)


def _range_scale(excess: np.ndarray, prior: np.ndarray | None, p: RobustParams) -> tuple[np.ndarray, np.ndarray | None]:
    """Return the range channel's scale at each row (n, m) and the carry of its recent-excess memory."""
    n, m = excess.shape
    if p.range_halflife <= 0:
        return np.full((n, m), p.range_c), prior
    before, carry = decayed_max(excess, np.zeros(m) if prior is None else prior, p.range_halflife)
    return np.maximum(p.range_c, before), carry
