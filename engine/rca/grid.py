"""Put named series on one time grid so rows can be compared across signals."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.rca.types import Series


@dataclass(frozen=True)
class Grid:
    """Values of every series at shared timestamps (rows) in a fixed column order."""

    times: np.ndarray
    names: list[str]
    values: np.ndarray  # (rows, columns)

    @property
    def step(self) -> float:
        """Return the median spacing between rows (1.0 if there is a single row)."""
        return float(np.median(np.diff(self.times))) if self.times.size > 1 else 1.0


def build_grid(series: dict[str, Series]) -> Grid:
    """Align series on the union of their timestamps, carrying the last value forward.

    Scrapes of different targets rarely share timestamps; carrying forward is what a
    Prometheus range query does between samples, and back-filling the head keeps a late
    starting series from looking anomalous at its first sample.
    """
    names = [n for n in sorted(series) if series[n].times.size]
    if not names:
        return Grid(np.zeros(0), [], np.zeros((0, 0)))
    times = np.unique(np.concatenate([series[n].times for n in names]))
    values = np.empty((times.size, len(names)))
    for col, name in enumerate(names):
        s = series[name]
        idx = np.searchsorted(s.times, times, side="right") - 1
        values[:, col] = s.values[np.clip(idx, 0, s.times.size - 1)]
    return Grid(times, names, values)
