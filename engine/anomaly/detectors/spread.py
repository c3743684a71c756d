"""Flatline view: a block of rows far quieter than the series' usual blocks (stuck, saturated, stalled).

The record channels score how far values move; none scores a series that stops moving: a
stuck exporter, a heap whose collector stalled at its limit, a pool pinned at its cap, a
counter that stops. Here every closed block of `block` rows gets its spread (mean absolute
deviation from the block median) on a log scale, and a robust z of how far it falls *below*
the last `blocks` blocks' spreads (median and MAD of their logs; the log makes it scale
free, a floor of 1e-6 of the blocks' typical level keeps an exact constant finite). Like the
other channels it is calibrated as a record, u = z / (z + m), m the decayed largest drop
seen before, so it needs many blocks of history (no score before `blocks` blocks) and lands
on the block's last row. Causal: a block is scored when its last row arrives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from engine.anomaly.detectors.blocks import nan_median
from engine.anomaly.detectors.features import decayed_max

MIN_PAST = 10  # blocks of history before a drop counts towards the record
LOG_SCALE_FLOOR = 0.05  # smallest spread of the past log spreads (a constant history has none)
LEVEL_FLOOR = 1e-6  # fraction of the typical block level added before taking logs: keeps a constant finite


@dataclass
class SpreadState:
    """Per-series state of the flatline view (one column per series)."""

    partial: np.ndarray  # (< block, m) rows of the unfinished block
    past: np.ndarray  # (2, blocks, m) spread and |median| of the last closed blocks, NaN before
    record: np.ndarray  # (m,) decayed largest drop z
    closed: int = 0  # blocks closed so far
    last: np.ndarray | None = None  # (m,) z of the last closed block, for feedback

    @classmethod
    def fresh(cls, m: int, blocks: int) -> "SpreadState":
        """Return the state of m series that have seen nothing."""
        return cls(np.zeros((0, m)), np.full((2, blocks, m), np.nan), np.zeros(m))


def score_spread(
    values: np.ndarray, st: SpreadState, block: int, halflife: float, sensitivity: float = 1.0
) -> tuple[np.ndarray, SpreadState]:
    """Return (scores (n, m), new state) of new rows: a block's score on its last row, 0 elsewhere."""
    n, m = values.shape
    rows = np.vstack([st.partial, values]) if len(st.partial) else values
    done = len(rows) // block
    out = np.zeros((n, m))
    if done == 0:
        return out, SpreadState(rows, st.past, st.record, st.closed, st.last)
    b = rows[: done * block].reshape(done, block, m)
    with np.errstate(all="ignore"):
        med, _ = nan_median(b, axis=1)
        dev = np.abs(b - med[:, None, :])
        ok = np.isfinite(dev)
        spread = np.where(ok.any(axis=1), np.where(ok, dev, 0.0).sum(axis=1) / np.maximum(ok.sum(axis=1), 1), np.nan)
    blocks = st.past.shape[1]
    hist = np.concatenate([st.past, np.stack([spread, np.abs(med)])], axis=1)  # (2, blocks + done, m)
    # Window j holds the `blocks` blocks before new block j.
    win = sliding_window_view(hist[:, :-1], blocks, axis=1)  # (2, done, m, blocks)
    with np.errstate(all="ignore"):
        lvl, _ = nan_median(win[1], axis=-1)
        eps = LEVEL_FLOOR * lvl + 1e-9
        lp = np.log(win[0] + eps[..., None])
        centre, _ = nan_median(lp, axis=-1)
        mad, _ = nan_median(np.abs(lp - centre[..., None]), axis=-1)
        z = (centre - np.log(spread + eps)) / (1.4826 * mad + LOG_SCALE_FLOOR)
    count = np.isfinite(win[0]).sum(axis=-1)
    z = np.where((count >= MIN_PAST) & np.isfinite(z), np.maximum(z, 0.0), 0.0)
    before, carry = decayed_max(z, st.record, halflife)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.where(z > 0, sensitivity * z / (sensitivity * z + before), 0.0)
    index = st.closed + np.arange(done)
    u = np.where((index >= blocks)[:, None], np.nan_to_num(u, nan=0.0), 0.0)
    out[np.arange(1, done + 1) * block - 1 - len(st.partial)] = u  # each block's last row
    new = SpreadState(rows[done * block :], hist[:, -blocks:], carry, st.closed + done, z[-1])
    return out, new
