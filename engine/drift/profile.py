"""Build per-column profiles of one dataset side from a stream of Arrow record batches."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Iterable, Union

import pyarrow as pa

from engine.drift.arrays import value_counts
from engine.drift.numeric import NumericAccumulator, NumericProfile, RefContext, _is_numeric
from engine.errors import InvalidInput

CATEGORY_CAP = 100_000  # distinct values kept per categorical column; beyond, it is free text


@dataclass
class CategoricalProfile:
    """Finished categorical column: exact counts per value (unless over the cap)."""

    rows: int
    missing: int
    counts: dict
    overflow: bool
    is_bool: bool
    family: str = field(default="categorical")

    @property
    def count(self) -> int:
        """Return the number of non-missing values."""
        return self.rows - self.missing

    def n_unique(self) -> int:
        """Return the number of distinct values (CATEGORY_CAP + 1 when over the cap)."""
        return CATEGORY_CAP + 1 if self.overflow else len(self.counts)


@dataclass
class OtherProfile:
    """A column we do not test (datetime, nested, entirely empty): only row counts."""

    rows: int
    missing: int
    family: str


ColumnProfile = Union[NumericProfile, CategoricalProfile, OtherProfile]


class CategoricalAccumulator:
    """Streams string, boolean or dictionary chunks into exact value counts."""

    family = "categorical"

    def __init__(self, arrow_type: pa.DataType) -> None:
        self.is_bool = pa.types.is_boolean(arrow_type)
        self.rows = self.missing = 0
        self.counts: dict = {}
        self.overflow = False

    def accepts(self, arrow_type: pa.DataType) -> bool:
        """Return True if a chunk of this type can be added."""
        return _family(arrow_type) == "categorical" or pa.types.is_null(arrow_type)

    def add(self, arr: pa.Array) -> None:
        """Add one chunk."""
        self.rows += len(arr)
        self.missing += arr.null_count
        if self.overflow or arr.null_count == len(arr):
            return
        for value, cnt in value_counts(arr):
            if cnt:
                self.counts[value] = self.counts.get(value, 0) + cnt
        if len(self.counts) > CATEGORY_CAP:
            self.overflow, self.counts = True, {}

    def finish(self) -> CategoricalProfile:
        """Return the profile."""
        return CategoricalProfile(self.rows, self.missing, self.counts, self.overflow, self.is_bool)


class OtherAccumulator:
    """Counts rows and nulls of a column whose values we do not test."""

    def __init__(self, family: str) -> None:
        self.family = family
        self.rows = self.missing = 0

    def accepts(self, arrow_type: pa.DataType) -> bool:
        """Return True if a chunk of this type can be added."""
        return _family(arrow_type) == self.family or pa.types.is_null(arrow_type)

    def add(self, arr: pa.Array) -> None:
        """Add one chunk."""
        self.rows += len(arr)
        self.missing += arr.null_count

    def finish(self) -> OtherProfile:
        """Return the profile."""
        return OtherProfile(self.rows, self.missing, self.family)


@dataclass
class SideProfile:
    """All column profiles of one side, in file column order."""

    name: str
    rows: int
    columns: dict[str, ColumnProfile]


class SideProfiler:
    """Feed batches, then `finish()`; keeps memory bounded per column (see numeric.py)."""

    def __init__(self, name: str, exact_limit: int, contexts: dict[str, RefContext] | None = None,
                 skip: Iterable[str] = ()) -> None:
        self.name = name
        self.exact_limit = exact_limit
        self.contexts = contexts or {}
        self.skip = set(skip)
        self.rows = 0
        self.accumulators: dict = {}
        self.leading_nulls: dict[str, int] = {}  # null-typed chunks seen before a column's type is known

    def add_batch(self, batch: pa.RecordBatch, origin: str) -> None:
        """Add one record batch read from `origin` (a file name or query label)."""
        self.rows += batch.num_rows
        names = batch.schema.names
        if len(set(names)) < len(names):
            twice = sorted({n for n in names if names.count(n) > 1})
            raise InvalidInput(f"{origin}: duplicate column names: {', '.join(f'`{n}`' for n in twice)}",
                               hint="give every column a distinct name")
        for name, arr in zip(names, batch.columns):
            if name in self.skip:
                continue
            acc = self.accumulators.get(name)
            if acc is None:
                if pa.types.is_null(arr.type):
                    self.leading_nulls[name] = self.leading_nulls.get(name, 0) + len(arr)
                    continue
                acc = self.accumulators[name] = self._new(name, arr.type)
                pending = self.leading_nulls.pop(name, 0)
                if pending:
                    acc.add(pa.nulls(pending, arr.type))
            elif not acc.accepts(arr.type):
                raise InvalidInput(
                    f"{origin}: column `{name}` mixes types ({acc.family} and {arr.type})",
                    hint="make the column hold one type in every file and row")
            acc.add(arr)

    def _new(self, name: str, arrow_type: pa.DataType):
        family = _family(arrow_type)
        if family == "numeric":
            return NumericAccumulator(arrow_type, self.exact_limit, self.contexts.get(name))
        if family == "categorical":
            return CategoricalAccumulator(arrow_type)
        return OtherAccumulator(family)

    def finish(self, pool: Executor | None = None) -> SideProfile:
        """Return the finished profile; numeric columns are sorted in parallel on `pool`."""
        run = pool.map if pool is not None else map
        columns: dict[str, ColumnProfile] = dict(zip(self.accumulators, run(
            lambda acc: acc.finish(), self.accumulators.values())))
        for name, n in self.leading_nulls.items():
            columns[name] = OtherProfile(n, n, "empty")
        return SideProfile(self.name, self.rows, columns)


def _family(arrow_type: pa.DataType) -> str:
    if _is_numeric(arrow_type):
        return "numeric"
    if (pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)
            or pa.types.is_boolean(arrow_type) or pa.types.is_dictionary(arrow_type)
            or pa.types.is_string_view(arrow_type)):
        return "categorical"
    if pa.types.is_temporal(arrow_type):
        return "datetime"
    return "other"
