"""One-pass profile of a numeric column: exact sorted values up to a budget, a sketch beyond."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.drift.sketch import LogHistogram

DISTINCT_CAP = 1024  # value counts are kept for sketched columns only while this small


@dataclass
class RefContext:
    """What the current side needs from the finished reference to stay one-pass and exact."""

    low: float
    high: float
    probe: np.ndarray | None = None  # distinct reference values, when the KS test may apply


@dataclass
class NumericProfile:
    """Finished numeric column: counts, moments, and exact sorted values or a sketch."""

    rows: int
    missing: int
    count: int
    mean: float
    std: float
    minimum: float
    maximum: float
    is_int: bool
    sorted: np.ndarray | None
    sketch: LogHistogram | None
    distinct: dict[float, int] | None
    out_of_range: int = 0
    probe_lt: np.ndarray | None = None
    probe_le: np.ndarray | None = None
    family: str = field(default="numeric")

    @property
    def exact(self) -> bool:
        """Return True when every value was kept."""
        return self.sorted is not None

    def n_unique(self) -> int:
        """Return the number of distinct values (DISTINCT_CAP + 1 means 'more than the cap')."""
        if self.sorted is not None:
            return int(np.count_nonzero(np.diff(self.sorted))) + (1 if self.count else 0)
        return len(self.distinct) if self.distinct is not None else DISTINCT_CAP + 1

    def value_counts(self) -> dict[float, int]:
        """Return value -> count (exact; only for columns with few distinct values)."""
        if self.sorted is not None:
            keys, counts = np.unique(self.sorted, return_counts=True)
            pairs = zip(keys.tolist(), counts.tolist())
        elif self.distinct is None:
            raise ValueError("too many distinct values to count")
        else:
            pairs = self.distinct.items()
        # integer columns read as float (to carry NaN) are shown and keyed as integers
        return {(int(k) if self.is_int else k): v for k, v in pairs}

    def quantile(self, q: float) -> float:
        """Return the q-quantile (linear interpolation when exact, sketch estimate otherwise)."""
        if self.count == 0:
            return float("nan")
        if self.sorted is not None:
            pos = q * (self.count - 1)
            lo = int(np.floor(pos))
            hi = min(lo + 1, self.count - 1)
            return float(self.sorted[lo] + (self.sorted[hi] - self.sorted[lo]) * (pos - lo))
        return self.sketch.quantile(q)

    def histogram(self, edges: np.ndarray) -> np.ndarray:
        """Return counts per bin (np.histogram semantics)."""
        if self.sorted is not None:
            cum = np.concatenate((np.searchsorted(self.sorted, edges[:-1], "left"),
                                  np.searchsorted(self.sorted, edges[-1:], "right")))
            return np.diff(cum)
        return self.sketch.histogram(edges)

    def weighted_points(self) -> tuple[np.ndarray, np.ndarray]:
        """Return (ascending values, weights) describing the distribution."""
        if self.sorted is not None:
            return self.sorted, np.ones(len(self.sorted))
        return self.sketch.values(), self.sketch.counts.astype(float)


class NumericAccumulator:
    """Streams numeric chunks; NaN, null and +-inf count as missing, as Evidently drops them."""

    family = "numeric"

    def __init__(self, arrow_type: pa.DataType, exact_limit: int, context: RefContext | None = None) -> None:
        self.is_int = pa.types.is_integer(arrow_type)
        self.exact_limit = exact_limit
        self.context = context
        self.rows = self.missing = self.n = 0
        self.mean = self.m2 = 0.0
        self.minimum, self.maximum = np.inf, -np.inf
        self.chunks: list[np.ndarray] = []
        self.sketch: LogHistogram | None = None
        self.distinct: dict[float, int] | None = None
        self.out_of_range = 0
        probe_len = 0 if context is None or context.probe is None else len(context.probe)
        self.lt_hist = np.zeros(probe_len + 1, dtype=np.int64)
        self.le_hist = np.zeros(probe_len + 1, dtype=np.int64)

    def accepts(self, arrow_type: pa.DataType) -> bool:
        """Return True if a chunk of this type can be added."""
        return _is_numeric(arrow_type) or pa.types.is_null(arrow_type)

    def add(self, arr: pa.Array) -> None:
        """Add one chunk."""
        if not pa.types.is_floating(arr.type):
            self.is_int = self.is_int and not pa.types.is_decimal(arr.type)
            arr = pc.cast(arr, pa.float64())
        values = arr.to_numpy(zero_copy_only=False)
        self.rows += len(values)
        finite = np.isfinite(values)
        n_finite = int(np.count_nonzero(finite))
        if n_finite < len(values):
            self.missing += len(values) - n_finite
            values = values[finite]
        if n_finite == 0:
            return
        self._update_moments(values)
        self._update_context_counts(values)
        if self.sketch is None:
            self.chunks.append(values.astype(np.float64, copy=False))
            if self.n > self.exact_limit:
                self._switch_to_sketch()
        else:
            self.sketch.add(values)
            self._count_distinct(values)

    def _update_moments(self, values: np.ndarray) -> None:
        # Chan et al. pairwise merge keeps the variance stable across many chunks
        n_b = len(values)
        mean_b = float(values.mean())
        m2_b = float(np.sum((values - mean_b) ** 2))
        total = self.n + n_b
        delta = mean_b - self.mean
        self.mean += delta * n_b / total
        self.m2 += m2_b + delta * delta * self.n * n_b / total
        self.n = total
        self.minimum = min(self.minimum, float(values.min()))
        self.maximum = max(self.maximum, float(values.max()))

    def _update_context_counts(self, values: np.ndarray) -> None:
        if self.context is None:
            return
        self.out_of_range += int(np.count_nonzero((values < self.context.low) | (values > self.context.high)))
        probe = self.context.probe
        if probe is not None:
            # value v is below probe[j] iff fewer than j+1 probes are <= v
            self.lt_hist += np.bincount(np.searchsorted(probe, values, "right"), minlength=len(probe) + 1)
            self.le_hist += np.bincount(np.searchsorted(probe, values, "left"), minlength=len(probe) + 1)

    def _switch_to_sketch(self) -> None:
        self.sketch = LogHistogram()
        kept = np.concatenate(self.chunks)
        self.chunks = []
        self.sketch.add(kept)
        keys, counts = np.unique(kept, return_counts=True)
        self.distinct = dict(zip(keys.tolist(), counts.tolist())) if len(keys) <= DISTINCT_CAP else None

    def _count_distinct(self, values: np.ndarray) -> None:
        if self.distinct is None:
            return
        keys, counts = np.unique(values, return_counts=True)
        for key, cnt in zip(keys.tolist(), counts.tolist()):
            self.distinct[key] = self.distinct.get(key, 0) + cnt
        if len(self.distinct) > DISTINCT_CAP:
            self.distinct = None

    def finish(self) -> NumericProfile:
        """Sort what was kept and return the profile."""
        exact = None
        if self.sketch is None:
            exact = np.sort(np.concatenate(self.chunks)) if self.chunks else np.empty(0)
            self.chunks = []
        probe_lt = probe_le = None
        if self.context is not None and self.context.probe is not None:
            probe_lt = np.cumsum(self.lt_hist)[:-1]
            probe_le = np.cumsum(self.le_hist)[:-1]
        std = float(np.sqrt(self.m2 / self.n)) if self.n else float("nan")
        return NumericProfile(
            rows=self.rows, missing=self.missing, count=self.n, mean=self.mean if self.n else float("nan"),
            std=std, minimum=self.minimum, maximum=self.maximum, is_int=self.is_int, sorted=exact,
            sketch=self.sketch, distinct=self.distinct, out_of_range=self.out_of_range,
            probe_lt=probe_lt, probe_le=probe_le)


def _is_numeric(arrow_type: pa.DataType) -> bool:
    return pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type)
