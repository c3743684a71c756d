"""One-pass profile of a numeric column: exact sorted values up to a budget, a sketch beyond.

Exact values stay in memory up to SPILL_AFTER per column and go to an anonymous temporary file
beyond it; they are read back and sorted one column at a time when that column is tested, so
peak memory follows one column pair, not the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO, Iterable, Iterator

import numpy as np
import pyarrow as pa

from engine.drift.arrays import float_values
from engine.drift.sketch import LogHistogram

DISTINCT_CAP = 1024  # value counts are kept (exact columns too) only while this small
SPILL_AFTER = 1_000_000  # values per column held in memory before the rest goes to disk (8 MB)


class Spill:
    """float64 values appended to an anonymous temporary file (gone when closed or on exit)."""

    def __init__(self) -> None:
        import tempfile  # only columns over SPILL_AFTER values need it (it brings shutil, bz2, lzma, random)

        self.file: BinaryIO = tempfile.TemporaryFile(prefix="opsbot-drift-")
        self.n = 0

    def write(self, values: np.ndarray) -> None:
        """Append values."""
        values.astype(np.float64, copy=False).tofile(self.file)
        self.n += len(values)

    def load_sorted(self) -> np.ndarray:
        """Return every value written, sorted."""
        self.file.flush()
        self.file.seek(0)
        values = np.fromfile(self.file, dtype=np.float64, count=self.n)
        values.sort()
        return values

    def chunks(self, size: int = 1 << 20) -> Iterator[np.ndarray]:
        """Yield the values written, in order, `size` at a time."""
        self.file.flush()
        self.file.seek(0)
        for start in range(0, self.n, size):
            yield np.fromfile(self.file, dtype=np.float64, count=min(size, self.n - start))

    def close(self) -> None:
        """Delete the file."""
        self.file.close()


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
    held: np.ndarray | None  # sorted values in memory (exact, not spilled)
    sketch: LogHistogram | None
    distinct: dict[float, int] | None
    spill: Spill | None = None  # exact values on disk, sorted into `held` while the column is tested
    out_of_range: int = 0
    probe_lt: np.ndarray | None = None
    probe_le: np.ndarray | None = None
    family: str = field(default="numeric")

    @property
    def exact(self) -> bool:
        """Return True when every value was kept (in memory or on disk)."""
        return self.held is not None or self.spill is not None

    @property
    def sorted(self) -> np.ndarray | None:
        """Return every value, sorted (read back from disk on first use), or None when sketched."""
        if self.held is None and self.spill is not None:
            self.held = self.spill.load_sorted()
        return self.held

    def release(self) -> None:
        """Drop values read back from disk; they are read again if needed."""
        if self.spill is not None:
            self.held = None

    def n_unique(self) -> int:
        """Return the number of distinct values (DISTINCT_CAP + 1 means 'more than the cap')."""
        if self.distinct is not None:
            return len(self.distinct)
        # counting stopped once the cap was passed, so there are more; every caller only compares with
        # 10 or 20, and counting a 5M-value column exactly took a 40 MB temporary per call
        return DISTINCT_CAP + 1

    def value_counts(self) -> dict[float, int]:
        """Return value -> count (exact; only for columns with few distinct values)."""
        pairs: Iterable[tuple[float, int]]
        if self.distinct is not None:
            pairs = self.distinct.items()
        elif (values := self.sorted) is not None:  # exact: read back from disk only here
            keys, counts = np.unique(values, return_counts=True)
            pairs = zip(keys.tolist(), counts.tolist())
        else:
            raise ValueError("too many distinct values to count")
        # integer columns read as float (to carry NaN) are shown and keyed as integers
        return {(int(k) if self.is_int else k): v for k, v in pairs}

    def quantile(self, q: float) -> float:
        """Return the q-quantile (linear interpolation when exact, sketch estimate otherwise)."""
        if self.count == 0:
            return float("nan")
        values = self.sorted
        if values is not None:
            pos = q * (self.count - 1)
            lo = int(np.floor(pos))
            hi = min(lo + 1, self.count - 1)
            return float(values[lo] + (values[hi] - values[lo]) * (pos - lo))
        return self._sketch().quantile(q)

    def histogram(self, edges: np.ndarray) -> np.ndarray:
        """Return counts per bin (np.histogram semantics)."""
        values = self.sorted
        if values is not None:
            cum = np.concatenate((np.searchsorted(values, edges[:-1], "left"),
                                  np.searchsorted(values, edges[-1:], "right")))
            return np.diff(cum)
        return self._sketch().histogram(edges)

    def weighted_points(self) -> tuple[np.ndarray, np.ndarray]:
        """Return (ascending values, weights) describing the distribution."""
        values = self.sorted
        if values is not None:
            return values, np.ones(self.count)
        sketch = self._sketch()
        return sketch.values(), sketch.counts.astype(float)

    def _sketch(self) -> LogHistogram:
        # A profile keeps its values (held or spilled) or a sketch of them, never neither.
        if self.sketch is None:
            raise RuntimeError("the column kept neither its values nor a sketch")
        return self.sketch


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
        self.spill: Spill | None = None
        self.sketch: LogHistogram | None = None
        self.distinct: dict[float, int] | None = {}
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
        values = float_values(arr)
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
        self._count_distinct(values)
        if self.sketch is not None:
            self.sketch.add(values)
        elif self.n > self.exact_limit:
            self.chunks.append(values)
            self._switch_to_sketch()
        elif self.spill is not None:
            self.spill.write(values)
        else:
            self.chunks.append(values)
            if self.n > SPILL_AFTER:
                self.spill = Spill()
                for chunk in self.chunks:
                    self.spill.write(chunk)
                self.chunks = []

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
        if self.spill is not None:
            for chunk in self.spill.chunks():
                self.sketch.add(chunk)
            self.spill.close()
            self.spill = None
        for chunk in self.chunks:
            self.sketch.add(chunk)
        self.chunks = []

    def _count_distinct(self, values: np.ndarray) -> None:
        if self.distinct is None:
            return
        # a sample decides most columns without sorting the whole chunk (a sort as dear as the final one)
        if len(values) > 4 * DISTINCT_CAP and _n_distinct(values[:4 * DISTINCT_CAP]) > DISTINCT_CAP:
            self.distinct = None
            return
        keys, counts = np.unique(values, return_counts=True)
        if len(keys) > DISTINCT_CAP:  # decided by this chunk alone: no Python loop over its values
            self.distinct = None
            return
        for key, cnt in zip(keys.tolist(), counts.tolist()):
            self.distinct[key] = self.distinct.get(key, 0) + cnt
        if len(self.distinct) > DISTINCT_CAP:
            self.distinct = None

    def finish(self) -> NumericProfile:
        """Sort what was kept and return the profile."""
        exact = None
        if self.sketch is None and self.spill is None:
            exact = np.sort(np.concatenate(self.chunks)) if self.chunks else np.empty(0)
            self.chunks = []
        probe_lt = probe_le = None
        if self.context is not None and self.context.probe is not None:
            probe_lt = np.cumsum(self.lt_hist)[:-1]
            probe_le = np.cumsum(self.le_hist)[:-1]
        std = float(np.sqrt(self.m2 / self.n)) if self.n else float("nan")
        return NumericProfile(
            rows=self.rows, missing=self.missing, count=self.n, mean=self.mean if self.n else float("nan"),
            std=std, minimum=self.minimum, maximum=self.maximum, is_int=self.is_int, held=exact,
            sketch=self.sketch, distinct=self.distinct, spill=self.spill, out_of_range=self.out_of_range,
            probe_lt=probe_lt, probe_le=probe_le)


def _n_distinct(values: np.ndarray) -> int:
    # sort and count steps: np.unique without counts imports numpy.ma (35 ms) on first use
    ordered = np.sort(values)
    return int(np.count_nonzero(ordered[1:] != ordered[:-1])) + (1 if len(ordered) else 0)


def _is_numeric(arrow_type: pa.DataType) -> bool:
    return bool(pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type))
