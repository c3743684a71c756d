"""The robust detector's lean path: one row scored against every channel's cached block baseline.

score_matrix (detectors/robust.py) hands a single row here once every block baseline is
cached: the same numbers, with the same floating-point steps, without sliding windows.
"""

from __future__ import annotations

import math

import numpy as np

from engine.anomaly.detectors.blocks import BlockState, close_block, nan_median, nan_to_zero
from engine.anomaly.detectors.robust_state import (
    CHANNELS, FMAX, RECORDS, RobustParams, RowChannel, Scored, State, _resize,
)


def _small_median(a: np.ndarray) -> np.ndarray:
    """Return the median along axis 0 of a few rows, as nan_median gives it (NaN-aware fallback)."""
    srt = np.sort(a, axis=0)
    if np.isnan(srt[-1]).any():  # NaN sorts last
        med: np.ndarray = nan_median(a, axis=0)[0]
        return med
    k = len(a)
    out: np.ndarray = srt[k // 2] if k % 2 else 0.5 * (srt[k // 2 - 1] + srt[k // 2])
    return out


def _row_deviation(
    x: np.ndarray, st: BlockState, p: RobustParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray, BlockState]:
    """Return (z, centre, scale, state) of one row against its block's cached baseline."""
    assert st.current is not None
    centre, scale = st.current[0], st.current[1]
    z = np.abs(x - centre) / scale
    z = np.where(np.isnan(z), 0.0, np.minimum(z, FMAX))  # what nan_to_num(nan=0) gives
    if len(st.partial) + 1 == p.block:
        return z, centre, scale, close_block(st, x, p.min_blocks, p.rel_floor)
    return z, centre, scale, BlockState(np.vstack([st.partial, x[None, :]]), st.stats, st.current)


def _row_channel(
    x: np.ndarray, tail: np.ndarray, plain: BlockState, seas: BlockState, period: int | None, p: RobustParams,
    seen: int,
) -> RowChannel:
    """Return _channel's outputs for one row inside a block (`seen` rows came before it)."""
    dev, expected, scale, plain = _row_deviation(x, plain, p)
    if period:
        h = len(tail)
        # Days before the series started are NaN padding: leaving them out gives the same
        # NaN-ignoring median and keeps the sort-only path while fewer than `seasons` days are held.
        lags = [h - j * period for j in range(1, p.seasons + 1) if j * period <= seen]
        base = _small_median(tail[lags]) if lags else np.full(x.shape, np.nan)
        zs, cs, ss, seas = _row_deviation(x - base, seas, p)
        seasonal = np.isfinite(base + cs)
        use = seasonal & (zs > dev)
        dev = np.where(seasonal, np.maximum(dev, zs), dev)
        expected = np.where(use, base + cs, expected)
        scale = np.where(use, ss, scale)
    return dev, expected, scale, plain, seas


def _row_decay(prior: np.ndarray, r: np.ndarray, halflife: float) -> tuple[np.ndarray, np.ndarray]:
    """Return decayed_max for one row, with the same floating-point steps (call under errstate(divide="ignore"))."""
    init = np.log(np.maximum(prior, 0.0)) + (-math.log(2.0) / halflife)
    return np.exp(init), np.exp(np.maximum(init, np.log(np.maximum(r, 0.0))))


SPARE = 0.25  # spare rows per tail row in a pushed tail's buffer: memory for amortised O(1) pushes


def _push(tail: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Return tail minus its first row plus `row` (m,), without copying the tail each time.

    A tail of days of rows would otherwise be copied (and reallocated) on every point. The
    result is a view into a buffer with spare rows after it; the buffer's hidden last row
    records how far it is filled, so only the newest view of a buffer may write past its end
    (an older state pushed again copies instead and cannot overwrite a newer one's rows).
    """
    n, m = tail.shape
    base = tail.base
    if n and m and isinstance(base, np.ndarray) and base.ndim == 2 and base.shape[1] == m and base.flags.c_contiguous:
        start = (tail.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // (8 * m)
        end = start + n
        if end < len(base) - 1 and base[-1, 0] == end:
            base[end] = row
            base[-1, 0] = end + 1
            return base[start + 1 : end + 1]
    buf = np.empty((n + max(1, int(SPARE * n)) + 1, m))
    buf[: n - 1] = tail[1:]
    buf[n - 1] = row
    buf[-1, 0] = n  # rows in use, counted from the buffer's start
    return buf[:n]


def score_row(
    x: np.ndarray, state: State, period: int | None, p: RobustParams,
    sensitivity: np.ndarray | float = 1.0, floors: np.ndarray | None = None,
) -> Scored:
    """Score one row x (m,) against every channel's cached block baseline; same as score_matrix."""
    m = x.shape[0]
    rows = p.tail(period)
    raw, lev = _resize(state.raw, rows), _resize(state.lev, rows)
    level = _small_median(np.vstack([raw[len(raw) - (p.level - 1) :], x[None, :]]))
    c = state.chans
    spike = _row_channel(x, raw, c[0], c[1], period, p, state.seen)
    lvl = _row_channel(level, lev, c[2], c[3], period, p, state.seen)
    spike_tail = np.vstack([state.dev_tail, spike[0][None, :]])
    energy = spike_tail[len(spike_tail) - p.energy :].mean(axis=0)
    bounds = np.full((2, m), np.nan) if state.bounds is None else state.bounds
    hi, lo = bounds[0], bounds[1]
    width = np.maximum(hi - lo, 1e-9 * (np.abs(hi) + 1.0))
    # One errstate for the rest of the row: log(0) of an empty record and 0/0 ratios are expected.
    with np.errstate(invalid="ignore", divide="ignore"):
        excess = nan_to_zero(np.fmax(np.fmax(x - hi, lo - x), 0.0) / width)
        seen = state.seen + 1
        if p.range_c <= 0 or seen <= p.range_warm:
            excess = np.zeros_like(excess)
        devs = np.stack([spike[0], lvl[0], energy, excess])
        floors = np.zeros((CHANNELS, m)) if floors is None else floors
        before, carries = _row_decay(state.record, devs[:RECORDS], p.record_halflife)
        rcarry = state.range_record
        rscale = np.full(m, p.range_c)
        if p.range_halflife > 0:
            rbefore, rcarry = _row_decay(np.zeros(m) if rcarry is None else rcarry, excess, p.range_halflife)
            rscale = np.maximum(p.range_c, rbefore)
        record = np.vstack([np.maximum(before, floors[:RECORDS]), np.maximum(rscale, floors[RECORDS])[None, :]])
        sens = np.asarray(sensitivity, dtype=np.float64)
        ratio = nan_to_zero(sens * devs / (sens * devs + record))
        u = ratio.max(axis=0) if p.live(seen, period) else np.zeros(m)
        prev, refr = _row_decay(state.refractory, u, p.refractory_halflife)
    out = np.where(u > prev, u, p.damp * u)
    new = State(
        _push(raw, x), _push(lev, level),
        [spike[3], spike[4], lvl[3], lvl[4]], spike_tail[len(spike_tail) - (p.energy - 1) :],
        carries, refr, seen, np.stack([np.fmax(hi, x), np.fmin(lo, x)]), rcarry,
    )
    return Scored(out[None, :], spike[1][None, :], spike[2][None, :], devs[:, None, :], record[:, None, :], new)
