"""Run a detector causally over every file of a NAB corpus, two processes at a time."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from engine.anomaly import registry
from engine.lab.anomaly.nab.corpus import DataFile, results_path


def epoch_seconds(stamps: np.ndarray) -> np.ndarray:
    """Convert datetime64 stamps to float epoch seconds."""
    return stamps.astype("datetime64[ns]").astype(np.int64) / 1e9


def detect_file(detector: str, f: DataFile) -> np.ndarray:
    """Score one file from a fresh detector, streaming order, in one batch call."""
    det = registry.create(detector)
    return np.clip(det.score_batch(epoch_seconds(f.timestamps), f.values), 0.0, 1.0)


def _detect(job: tuple[str, DataFile]) -> tuple[str, np.ndarray]:
    """Pool worker: score one file."""
    detector, f = job
    return f.name, detect_file(detector, f)


def detect_corpus(detector: str, files: list[DataFile], workers: int | None = None) -> dict[str, np.ndarray]:
    """Score every file, largest first so the pool stays busy."""
    registry.create(detector)  # fail fast on an unknown name, before forking
    workers = workers or min(2, os.cpu_count() or 1)
    jobs = [(detector, f) for f in sorted(files, key=lambda f: -len(f.values))]
    if workers <= 1:
        return dict(map(_detect, jobs))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(_detect, jobs))


def write_results(out_dir: Path, detector: str, files: list[DataFile], scores: dict[str, np.ndarray]) -> None:
    """Write per-row scores in NAB's results layout, for --scores or NAB itself."""
    for f in files:
        path = results_path(out_dir, detector, f.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        stamps = pd.to_datetime(f.timestamps).strftime("%Y-%m-%d %H:%M:%S")
        pd.DataFrame({"timestamp": stamps, "anomaly_score": scores[f.name]}).to_csv(path, index=False)
