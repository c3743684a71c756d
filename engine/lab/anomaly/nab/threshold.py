"""Thresholds that run in production: fixed, fitted on another corpus, or leave-one-category-out.

The production threshold (``DEFAULT_THRESHOLD`` in engine/anomaly/watches/config.py) is what
``production_threshold`` returns for the default detector on NAB's public subset:

1. score every file with the detector (causal, fresh state per file);
2. for each category, fit the standard-profile threshold on the *other* categories
   (NAB's optimizer: the corpus-wide maximum of the summed raw score);
3. take the median of those fold thresholds and round it to two decimals.

No fold sees the labels of the category it is applied to, and the median keeps one odd
category from moving the threshold.  ``loco`` also scores each held-out category at its
own fold's threshold and normalizes the summed raw scores like NAB: the held-out figure
that ``opsbot eval nab --loco`` and bench_nab.py print.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.lab.anomaly.nab.corpus import DataFile
from engine.lab.anomaly.nab.evaluate import NULL_SCORE, corpus_sweep
from engine.lab.anomaly.nab.scorer import PROFILES, row_weights, score_file

PRODUCTION_PROFILE = "standard"
DECIMALS = 2


@dataclass(frozen=True)
class Fold:
    """One held-out category: the threshold fitted without it and its raw score at that threshold."""

    category: str
    threshold: float
    raw: float


@dataclass(frozen=True)
class LocoResult:
    """Leave-one-category-out outcome of one profile."""

    profile: str
    folds: tuple[Fold, ...]
    normalized: float  # held-out raw scores summed, normalized against null and perfect

    @property
    def median_threshold(self) -> float:
        """Return the median of the fold thresholds."""
        return float(np.median([f.threshold for f in self.folds]))


def fit_threshold(files: list[DataFile], scores: dict[str, np.ndarray], cost: dict[str, float]) -> tuple[float, float]:
    """Return (threshold, raw score) optimized over these files, as NAB's optimizer does."""
    weights = [row_weights(len(f.values), f.windows, cost) for f in files]
    return corpus_sweep(files, scores, weights, cost["fnWeight"]).best()


def raw_at(files: list[DataFile], scores: dict[str, np.ndarray], cost: dict[str, float], threshold: float) -> float:
    """Return the summed raw score of these files at a fixed threshold."""
    total = 0.0
    for f in files:
        rw = row_weights(len(f.values), f.windows, cost)
        total += score_file(f, scores[f.name], rw, threshold, cost["fnWeight"]).score
    return total


def null_and_perfect(files: list[DataFile], cost: dict[str, float], label_windows: int | None = None) -> tuple[float, float]:
    """Return the null detector's best raw score and the perfect raw score of a corpus."""
    nulls = {f.name: np.full(len(f.values), NULL_SCORE) for f in files}
    _, null = fit_threshold(files, nulls, cost)
    windows = label_windows if label_windows is not None else sum(len(f.windows) for f in files)
    return null, windows * cost["tpWeight"]


def loco(
    files: list[DataFile], scores: dict[str, np.ndarray], profile: str = PRODUCTION_PROFILE,
    label_windows: int | None = None,
) -> LocoResult:
    """Fit on all categories but one, score that one; repeat for every category."""
    cost = PROFILES[profile]
    folds = []
    for category in sorted({f.category for f in files}):
        train = [f for f in files if f.category != category]
        test = [f for f in files if f.category == category]
        threshold, _ = fit_threshold(train, scores, cost) if train else (1.1, 0.0)
        folds.append(Fold(category, threshold, raw_at(test, scores, cost, threshold)))
    null, perfect = null_and_perfect(files, cost, label_windows)
    raw = sum(f.raw for f in folds)
    normalized = 100.0 * (raw - null) / (perfect - null) if perfect != null else 0.0
    return LocoResult(profile, tuple(folds), normalized)


def production_threshold(files: list[DataFile], scores: dict[str, np.ndarray]) -> float:
    """Return the production threshold: median standard-profile LOCO fold threshold, 2 decimals."""
    return round(loco(files, scores, PRODUCTION_PROFILE).median_threshold, DECIMALS)
