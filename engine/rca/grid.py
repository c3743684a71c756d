"""Put named series on one time grid so rows can be compared across signals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.rca.types import Series

if TYPE_CHECKING:
    import pandas as pd


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


def frame_series(frame: pd.DataFrame) -> dict[str, Series]:
    """Read a `time` + one-column-per-signal frame as series (RCAEval's gap rules)."""
    import pandas as pd

    frame = frame.drop(columns=[c for c in frame.columns if c == "time.1"])
    times = frame["time"].to_numpy(dtype=float) if "time" in frame else np.arange(len(frame), dtype=float)
    values = frame.drop(columns=["time"], errors="ignore").apply(pd.to_numeric, errors="coerce")
    # RCAEval's loaders forward-fill gaps and zero what is left; infinities count as gaps.
    values = values.replace([np.inf, -np.inf], np.nan).ffill().fillna(0.0)
    return {str(c): Series.of(times, values[c].to_numpy(dtype=float)) for c in values.columns}
