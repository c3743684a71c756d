"""Causal robust z-scores from block statistics, vectorised and resumable.

Rows are grouped into aligned blocks of `block` rows (aligned on the row count since the
series started, so batch and one-at-a-time scoring see the same blocks). Each finished
block leaves four numbers: its median, its mean absolute residual, its max and its min.
A row is scored against the last `blocks` finished blocks: centre = median of their
medians, scale = mean of their mean absolute residuals. That is a robust rolling
baseline over `block * blocks` rows at a fraction of a rolling median's cost, and the
state to resume is one unfinished block plus a few numbers per finished block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

MEAN_AD_TO_SIGMA = 1.2533  # sqrt(pi / 2): mean absolute deviation to sigma, Gaussian noise
MED, MAD, MAX, MIN = range(4)
_FMAX = float(np.finfo(np.float64).max)


def nan_median(a: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Return (median ignoring NaN, count of finite values) along an axis, warning-free."""
    s = np.sort(a, axis=axis)  # NaN sorts last
    cnt = np.isfinite(a).sum(axis=axis, keepdims=True)
    size = a.shape[axis]
    lo = np.take_along_axis(s, np.clip((cnt - 1) // 2, 0, size - 1), axis)
    hi = np.take_along_axis(s, np.clip(cnt // 2, 0, size - 1), axis)
    med = np.where(cnt > 0, 0.5 * (lo + hi), np.nan)
    return np.squeeze(med, axis), np.squeeze(cnt, axis)


def nan_to_zero(a: np.ndarray) -> np.ndarray:
    """Return np.nan_to_num(a, nan=0.0), infinities to the largest finite floats, at a third of its cost."""
    return np.where(np.isnan(a), 0.0, np.minimum(np.maximum(a, -_FMAX), _FMAX))


def _nan_mean(a: np.ndarray, axis: int) -> np.ndarray:
    """Return the mean ignoring NaN (NaN where nothing is finite), warning-free."""
    ok = np.isfinite(a)
    cnt = ok.sum(axis=axis)
    total = np.where(ok, a, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, total / np.maximum(cnt, 1), np.nan)


@dataclass
class BlockState:
    """Resumable state of one channel for m series."""

    partial: np.ndarray  # (rows in the unfinished block, m)
    stats: np.ndarray  # (4, blocks, m): MED, MAD, MAX, MIN of the last finished blocks
    # (centre, scale) of the unfinished block: a cache (not persisted) so the rows of a
    # block after its first cost a subtraction and a division.
    current: np.ndarray | None = None

    @classmethod
    def fresh(cls, blocks: int, m: int) -> "BlockState":
        """Return the state of series that have seen nothing."""
        return cls(np.zeros((0, m)), np.full((4, blocks, m), np.nan))


@dataclass
class Deviation:
    """Per-row robust deviation of a channel."""

    z: np.ndarray  # |x - centre| / scale, 0 where no baseline yet
    centre: np.ndarray
    scale: np.ndarray


def block_deviation(
    x: np.ndarray, st: BlockState, block: int, min_blocks: int, rel_floor: float
) -> tuple[Deviation, BlockState]:
    """Score rows x (n, m) against the finished blocks before each row's block."""
    n, m = x.shape
    k = st.stats.shape[1]
    o = st.partial.shape[0]
    if st.current is not None and o + n < block:
        centre = np.broadcast_to(st.current[0], x.shape)
        scale = np.broadcast_to(st.current[1], x.shape)
        z = nan_to_zero(np.abs(x - centre) / scale)
        return Deviation(z, centre, scale), BlockState(np.vstack([st.partial, x]), st.stats, st.current)
    xs = np.vstack([st.partial, x])
    total = o + n
    done = total // block
    nb = -(-total // block)
    xb = np.vstack([xs, np.full((nb * block - total, m), np.nan)]).reshape(nb, block, m)
    med_new, _ = nan_median(xb[:done], axis=1)
    med_seq = np.vstack([st.stats[MED], med_new])
    # Window j holds the k finished blocks right before (new) block j.
    centre_b, count = nan_median(sliding_window_view(med_seq, k, axis=0)[:nb], axis=-1)
    centre_b = np.where(count >= min_blocks, centre_b, np.nan)
    absr = np.abs(xb - centre_b[:, None, :])
    mad_seq = np.vstack([st.stats[MAD], _nan_mean(absr[:done], axis=1)])
    max_seq = np.vstack([st.stats[MAX], np.fmax.reduce(xb[:done], axis=1)])
    min_seq = np.vstack([st.stats[MIN], np.fmin.reduce(xb[:done], axis=1)])
    mad_win = sliding_window_view(mad_seq, k, axis=0)[:nb]
    scale_b = MEAN_AD_TO_SIGMA * _nan_mean(mad_win, axis=-1)
    # A scale from too few blocks is unreliable (early blocks had no centre yet).
    scale_b = np.where(np.isfinite(mad_win).sum(axis=-1) >= min_blocks, scale_b, np.nan)
    spread = np.fmax.reduce(sliding_window_view(max_seq, k, axis=0)[:nb], axis=-1) - np.fmin.reduce(
        sliding_window_view(min_seq, k, axis=0)[:nb], axis=-1
    )
    # Quantised or flat stretches have a zero spread of residuals: a fraction of the
    # range (and a tiny fraction of the level) keeps z finite.
    floor = rel_floor * nan_to_zero(spread) + 1e-9 * (np.abs(centre_b) + 1.0)
    scale_b = np.maximum(scale_b, floor)  # NaN (no scale yet) stays NaN
    rows = slice(o, o + n)
    z = (absr / scale_b[:, None, :]).reshape(nb * block, m)[rows]
    centre = np.repeat(centre_b, block, axis=0)[rows]
    scale = np.repeat(scale_b, block, axis=0)[rows]
    stats = np.stack([s[-k:] for s in (med_seq, mad_seq, max_seq, min_seq)])
    # At a block boundary the next block's baseline is already known: cache it too, so its
    # first row also takes the one-row path.
    current = np.stack([centre_b[-1], scale_b[-1]]) if total % block else _baseline(stats, min_blocks, rel_floor)
    state = BlockState(xs[done * block :].copy(), stats, current)
    return Deviation(nan_to_zero(z), centre, scale), state


def _baseline(stats: np.ndarray, min_blocks: int, rel_floor: float) -> np.ndarray:
    """Return (centre, scale) of a block starting after these finished blocks, as block_deviation gives it."""
    med, count = nan_median(stats[MED], axis=0)
    centre = np.where(count >= min_blocks, med, np.nan)
    scale = MEAN_AD_TO_SIGMA * _nan_mean(stats[MAD], axis=0)
    scale = np.where(np.isfinite(stats[MAD]).sum(axis=0) >= min_blocks, scale, np.nan)
    spread = np.fmax.reduce(stats[MAX], axis=0) - np.fmin.reduce(stats[MIN], axis=0)
    floor = rel_floor * nan_to_zero(spread) + 1e-9 * (np.abs(centre) + 1.0)
    return np.stack([centre, np.maximum(scale, floor)])


def close_block(st: BlockState, last: np.ndarray, min_blocks: int, rel_floor: float) -> BlockState:
    """Finish the current block with its last row (m,): roll its statistics in, cache the next baseline.

    The same state block_deviation leaves after a batch that ends on a block boundary.
    """
    assert st.current is not None
    rows = np.vstack([st.partial, last[None, :]])
    med, _ = nan_median(rows, axis=0)
    new = np.stack([med, _nan_mean(np.abs(rows - st.current[0]), axis=0),
                    np.fmax.reduce(rows, axis=0), np.fmin.reduce(rows, axis=0)])
    stats = np.concatenate([st.stats[:, 1:], new[:, None, :]], axis=1)
    return BlockState(np.zeros((0, rows.shape[1])), stats, _baseline(stats, min_blocks, rel_floor))
