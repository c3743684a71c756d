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
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from engine.anomaly.detectors.blocks import BlockState, block_deviation, close_block, nan_median
from engine.anomaly.detectors.features import decayed_max

RECORDS = 3  # spike, level, energy (mean spike deviation over the last `energy` rows)
CHANNELS = RECORDS + 1  # plus range: excess over the all-time range, as a fraction of it
FMAX = float(np.finfo(np.float64).max)
PROBE_ROWS = 16  # raw rows kept before the period is known (the period probe needs 9)


@dataclass(frozen=True)
class RobustParams:
    """Hyperparameters; see tests/benchmarks/bench_nab_loco.py for how they were chosen."""

    block: int = 10
    blocks: int = 30
    level: int = 10
    energy: int = 10
    seasons: int = 3
    record_halflife: float = 1400.0
    refractory_halflife: float = 300.0  # also picked by leave-one-category-out, 4 of 5 folds
    damp: float = 0.7  # picked by leave-one-category-out (bench_nab_loco.py), 4 of 5 folds
    min_history: int = 50
    min_blocks: int = 3
    rel_floor: float = 0.01
    range_c: float = 0.005  # 0 disables the range channel (the v1 detector); leave-one-category-out pick
    range_warm: int = 300  # rows of history before the range channel may score
    # 0: the range channel's scale is range_c alone. Else also the largest range excess of the
    # last rows, forgotten with this half-life in rows: a series climbing to a new extreme row
    # after row (a trend, a burst's successive highs) scores its first break, not every step.
    range_halflife: float = 0.0

    @property
    def quiet(self) -> int:
        """Return the rows before anything may score: the probation counted from the first baseline.

        A block baseline needs min_blocks finished blocks with a centre, and a centre needs
        min_blocks blocks before it, so deviations start at row 2 * min_blocks * block; the
        records start empty there, and the first deviation would beat them whatever its size.
        """
        return 2 * self.min_blocks * self.block + self.min_history

    def live(self, seen: np.ndarray | int, period: int | None) -> np.ndarray:
        """Return whether rows that are the `seen`-th of their series may score.

        Besides the first quiet rows, the seasonal channel gets its own probation when it
        joins after them: its baseline forms a day in (the first residual block, then as for
        the first baseline), and its first deviations would beat records that never saw one.
        A channel that joins during the quiet rows (hourly rows, or two-hour buckets) has
        been learnt by then.
        """
        ok = np.asarray(seen) > self.quiet
        join = self.block * (period // self.block + 2 * self.min_blocks) if period else 0
        if join >= self.quiet:
            ok = ok & ~((np.asarray(seen) > join) & (np.asarray(seen) <= join + self.min_history))
        return ok

    def tail(self, period: int | None) -> int:
        """Return how many past raw (and level) values the features need."""
        return max(self.seasons * period if period else 0, self.level - 1, PROBE_ROWS)


@dataclass
class State:
    """Per-series recursive state between batches (one column per series)."""

    raw: np.ndarray  # (tail, m) last raw values, NaN before the series started
    lev: np.ndarray  # (tail, m) last level values
    chans: list[BlockState]  # spike, spike-seasonal, level, level-seasonal
    dev_tail: np.ndarray  # (energy - 1, m) last spike deviations
    record: np.ndarray  # (CHANNELS, m) decayed max deviation
    refractory: np.ndarray  # (m,) decayed max of undamped scores
    seen: int = 0
    bounds: np.ndarray | None = None  # (2, m) max and min of every value seen, NaN before
    range_record: np.ndarray | None = None  # (m,) decayed max range excess (with range_halflife), None before

    @classmethod
    def fresh(cls, m: int, p: RobustParams, period: int | None = None) -> "State":
        """Return the state of series that have seen nothing."""
        tail = np.full((p.tail(period), m), np.nan)
        chans = [BlockState.fresh(p.blocks, m) for _ in range(4)]
        dev_tail = np.zeros((p.energy - 1, m))
        bounds = np.full((2, m), np.nan)
        return cls(tail, tail.copy(), chans, dev_tail, np.zeros((RECORDS, m)), np.zeros(m), 0, bounds)


@dataclass
class Scored:
    """Scores of a batch plus what the spike channel expected at each row."""

    scores: np.ndarray
    expected: np.ndarray
    scale: np.ndarray
    deviation: np.ndarray  # (CHANNELS, n, m)
    record: np.ndarray  # (CHANNELS, n, m) record level in force at each row
    state: State = field(repr=False, default=None)  # type: ignore[assignment]


def _resize(tail: np.ndarray, rows: int) -> np.ndarray:
    """Keep the last `rows` rows, padding older ones with NaN."""
    if len(tail) >= rows:
        return tail[len(tail) - rows :]
    return np.vstack([np.full((rows - len(tail), tail.shape[1]), np.nan), tail])


def _seasonal_residual(tail: np.ndarray, x: np.ndarray, period: int, seasons: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (x - baseline, baseline): baseline is the median of the same phase in past days."""
    full = np.vstack([tail, x])
    h, n = len(tail), len(x)
    lags = np.stack([full[h - j * period : h - j * period + n] for j in range(1, seasons + 1)])
    base, _ = nan_median(lags, axis=0)
    return x - base, base


# (deviation, expected, scale, plain state, seasonal state) of one channel
RowChannel = tuple[np.ndarray, np.ndarray, np.ndarray, BlockState, BlockState]


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
    """Return decayed_max for one row, with the same floating-point steps."""
    with np.errstate(divide="ignore"):
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
    with np.errstate(invalid="ignore"):
        excess = np.nan_to_num(np.fmax(np.fmax(x - hi, lo - x), 0.0) / width, nan=0.0)
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
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.nan_to_num(sens * devs / (sens * devs + record), nan=0.0)
    u = ratio.max(axis=0) if p.live(seen, period) else np.zeros(m)
    prev, refr = _row_decay(state.refractory, u, p.refractory_halflife)
    out = np.where(u > prev, u, p.damp * u)
    new = State(
        _push(raw, x), _push(lev, level),
        [spike[3], spike[4], lvl[3], lvl[4]], spike_tail[len(spike_tail) - (p.energy - 1) :],
        carries, refr, seen, np.stack([np.fmax(hi, x), np.fmin(lo, x)]), rcarry,
    )
    return Scored(out[None, :], spike[1][None, :], spike[2][None, :], devs[:, None, :], record[:, None, :], new)
