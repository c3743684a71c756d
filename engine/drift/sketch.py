"""A mergeable log-bucket histogram for numeric columns too large to keep exactly.

Values are bucketed by log_gamma(|x|) (the DDSketch layout): every value is represented by
its bucket's centre with relative error at most `alpha`, whatever the range, so quantiles and
Wasserstein distances from the sketch are off by at most about alpha times the values'
magnitude. Memory grows with the number of occupied buckets (about 1,150 per decade of range
at alpha=0.001), not with the number of rows.
"""

from __future__ import annotations

import numpy as np

ZERO_BAND = 1e-12  # |x| below this falls in the zero bucket
_OFFSET = 40_000  # keeps bucket keys of tiny magnitudes positive before the sign is applied


class LogHistogram:
    """Counts of values per log-spaced bucket; keys sort in value order."""

    def __init__(self, alpha: float = 0.001) -> None:
        self.alpha = alpha
        self.gamma = (1 + alpha) / (1 - alpha)
        self._log_gamma = np.log(self.gamma)
        self.keys = np.empty(0, dtype=np.int64)
        self.counts = np.empty(0, dtype=np.int64)

    def add(self, values: np.ndarray) -> None:
        """Add finite float values."""
        if len(values) == 0:
            return
        mag = np.abs(values)
        idx = np.ceil(np.log(np.maximum(mag, ZERO_BAND)) / self._log_gamma).astype(np.int64) + _OFFSET
        keys = np.where(mag < ZERO_BAND, 0, np.sign(values).astype(np.int64) * idx)
        new_keys, new_counts = np.unique(keys, return_counts=True)
        self._merge(new_keys, new_counts)

    def _merge(self, keys: np.ndarray, counts: np.ndarray) -> None:
        all_keys = np.concatenate((self.keys, keys))
        all_counts = np.concatenate((self.counts, counts))
        self.keys, inverse = np.unique(all_keys, return_inverse=True)
        self.counts = np.bincount(inverse, weights=all_counts, minlength=len(self.keys)).astype(np.int64)

    @property
    def total(self) -> int:
        """Return how many values were added."""
        return int(self.counts.sum())

    def values(self) -> np.ndarray:
        """Return the representative (centre) value of each occupied bucket, ascending."""
        idx = np.abs(self.keys) - _OFFSET
        centre = 2.0 * self.gamma ** idx.astype(float) / (self.gamma + 1.0)
        return np.where(self.keys == 0, 0.0, np.sign(self.keys) * centre)

    def quantile(self, q: float) -> float:
        """Return the approximate q-quantile (0..1)."""
        if self.total == 0:
            return float("nan")
        cum = np.cumsum(self.counts)
        pos = min(int(np.searchsorted(cum, q * (self.total - 1), side="right")), len(cum) - 1)
        return float(self.values()[pos])

    def histogram(self, edges: np.ndarray) -> np.ndarray:
        """Return approximate counts per bin of `edges` (last bin closed), by bucket centres."""
        vals = self.values()
        cum = np.concatenate(([0], np.cumsum(self.counts)))
        pos = np.concatenate((np.searchsorted(vals, edges[:-1], "left"),
                              np.searchsorted(vals, edges[-1:], "right")))
        return np.diff(cum[pos])
