"""Load a NAB-format corpus: data files, labelled windows and result files."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class DataFile:
    """One series of a corpus with its labelled windows as row-index ranges."""

    name: str  # "<category>/<file>.csv", the key used by NAB's label files
    timestamps: np.ndarray  # datetime64[ns]
    values: np.ndarray  # float64
    windows: list[tuple[int, int]] = field(default_factory=list)  # inclusive

    @property
    def category(self) -> str:
        """Return the category folder of this file."""
        return self.name.split("/", 1)[0]


def read_series(path: Path, column: str = "value") -> tuple[np.ndarray, np.ndarray]:
    """Read a `timestamp,<column>` CSV into (datetime64 array, float array)."""
    frame = pd.read_csv(path, usecols=["timestamp", column])
    stamps = pd.to_datetime(frame["timestamp"]).to_numpy(dtype="datetime64[ns]")
    return stamps, frame[column].to_numpy(dtype=np.float64)


def window_indices(
    timestamps: np.ndarray, limits: list[list[str]]
) -> list[tuple[int, int]]:
    """Map [start, end] timestamp windows onto inclusive row-index ranges."""
    out: list[tuple[int, int]] = []
    for start, end in limits:
        t1 = np.datetime64(pd.Timestamp(start).to_datetime64(), "ns")
        t2 = np.datetime64(pd.Timestamp(end).to_datetime64(), "ns")
        # NAB labels rows with t1 <= t <= t2; windows are timestamps present in the data.
        lo = int(np.searchsorted(timestamps, t1, side="left"))
        hi = int(np.searchsorted(timestamps, t2, side="right")) - 1
        if hi >= lo:
            out.append((lo, hi))
    return sorted(out)


def load_labels(path: Path) -> dict[str, list[list[str]]]:
    """Read a combined_windows.json label file."""
    return json.loads(Path(path).read_text())


def load_corpus(data_dir: Path, labels_path: Path) -> list[DataFile]:
    """Load every labelled data file under data_dir, sorted by name."""
    labels = load_labels(labels_path)
    files: list[DataFile] = []
    for name in sorted(labels):
        path = Path(data_dir) / name
        if not path.exists():
            continue
        stamps, values = read_series(path)
        files.append(DataFile(name, stamps, values, window_indices(stamps, labels[name])))
    return files


def results_path(results_dir: Path, detector: str, name: str) -> Path:
    """Return NAB's results path `<detector>/<category>/<detector>_<file>`."""
    category, filename = name.split("/", 1)
    return Path(results_dir) / detector / category / f"{detector}_{filename}"


def locate_results(results_dir: Path, files: list[DataFile]) -> tuple[Path, str]:
    """Return (results root, detector name) for `<root>/<detector>` or `<root>`."""
    root = Path(results_dir)
    categories = {f.category for f in files}
    if any((root / c).is_dir() for c in categories):
        # Pointed straight at `<results>/<detector>`.
        return root.parent, root.name
    names = sorted(p.name for p in root.iterdir() if p.is_dir())
    if len(names) != 1:
        raise ValueError(f"expected one detector folder in {root}, found {names}")
    return root, names[0]


def load_scores(results_dir: Path, files: list[DataFile]) -> tuple[str, dict[str, np.ndarray]]:
    """Read precomputed per-row anomaly scores for every corpus file."""
    base, detector = locate_results(results_dir, files)
    scores: dict[str, np.ndarray] = {}
    for f in files:
        path = results_path(base, detector, f.name)
        _, col = read_series(path, "anomaly_score")
        if len(col) != len(f.values):
            raise ValueError(f"{path}: {len(col)} rows, data has {len(f.values)}")
        scores[f.name] = col
    return detector, scores
