"""Held-out generator: server-metric series with labelled anomalies, in NAB's corpus form.

A second generator style beside synthetic.py (forecast crossings). Four categories of
metrics, each with its own shape and its own kinds of incident, so a leave-one-category-out
or a plain NAB scoring of them checks how a detector tuned elsewhere generalizes. Windows
follow NAB's rule: together they cover 10% of the file, split evenly among the anomalies
and centred on each anomaly's onset. Nothing here was looked at while tuning a detector:
score it once, after the design is frozen.
"""

from __future__ import annotations

import numpy as np

from engine.lab.anomaly.nab.corpus import DataFile

STEP_S = 300  # NAB's 5-minute step
ROWS = 4032  # 14 days
DAY = 288
CATEGORIES = ("cpu", "latency", "requests", "queue")


def _daily(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return a daily profile in [-1, 1] with a random phase and a weekday/weekend factor."""
    t = np.arange(n)
    phase = rng.uniform(0, 2 * np.pi)
    base = np.sin(2 * np.pi * t / DAY + phase) + 0.3 * np.sin(4 * np.pi * t / DAY + 2 * phase)
    weekend = ((t // DAY) % 7 >= 5) * rng.uniform(0.3, 0.7)
    return base * (1 - weekend) / 1.3


def _series(cat: str, rng: np.random.Generator, n: int) -> np.ndarray:
    """Return a normal series of one category."""
    d = _daily(rng, n)
    if cat == "cpu":  # percent, bounded, daily load
        return np.clip(rng.uniform(20, 50) + rng.uniform(5, 20) * d + rng.normal(0, rng.uniform(1, 4), n), 0, 100)
    if cat == "latency":  # ms, log-normal noise, mildly load dependent
        return rng.uniform(40, 200) * np.exp(0.15 * d + rng.normal(0, rng.uniform(0.1, 0.3), n))
    if cat == "requests":  # counts per step, Poisson around a daily curve
        lam = rng.uniform(50, 2000) * (1 + 0.6 * d)
        return rng.poisson(np.maximum(lam, 1)).astype(np.float64)
    # queue: mean-reverting depth with occasional short bursts
    x = np.zeros(n)
    level = rng.uniform(5, 30)
    for i in range(1, n):
        x[i] = x[i - 1] + 0.1 * (level - x[i - 1]) + rng.normal(0, 0.1 * level)
    bursts = rng.random(n) < 0.01
    return np.maximum(x + bursts * rng.exponential(0.8 * level, n), 0)


def _inject(cat: str, y: np.ndarray, at: int, rng: np.random.Generator) -> None:
    """Apply one incident of a kind fitting the category, starting at row `at`, in place."""
    n = len(y)
    length = int(rng.integers(6, 60))
    end = min(n, at + length)
    scale = np.std(y[max(0, at - DAY) : at]) + 1e-9
    kind = int(rng.integers(0, 3))
    if cat == "cpu":
        if kind == 0:  # runaway process: level jumps and stays
            y[at:] = np.clip(y[at:] + rng.uniform(3, 6) * scale, 0, 100)
        elif kind == 1:  # stuck exporter: flat line
            y[at:end] = y[at]
        else:  # spike
            y[at:end] = np.clip(y[at:end] + rng.uniform(4, 8) * scale, 0, 100)
    elif cat == "latency":
        if kind == 0:  # slow dependency: latency multiplies for a while
            y[at:end] *= rng.uniform(2.5, 5)
        elif kind == 1:  # degradation ramp
            ramp = np.linspace(1, rng.uniform(2, 4), min(n - at, 4 * length))
            y[at : at + len(ramp)] *= ramp
        else:
            y[at] *= rng.uniform(6, 12)
    elif cat == "requests":
        if kind == 0:  # partial outage: traffic drops
            y[at:end] *= rng.uniform(0.05, 0.4)
        elif kind == 1:  # surge
            y[at:end] *= rng.uniform(2.5, 4)
        else:  # daily pattern lost: flat at the mean
            y[at : min(n, at + DAY // 2)] = np.mean(y[max(0, at - DAY) : at])
    else:
        if kind == 0:  # consumer down: queue grows
            y[at:end] += np.cumsum(np.full(end - at, rng.uniform(0.3, 1.0) * scale))
        elif kind == 1:  # variance blow-up
            y[at : min(n, at + 3 * length)] += rng.normal(0, 4 * scale, min(n - at, 3 * length))
            y[at:] = np.maximum(y[at:], 0)
        else:
            y[at:end] += rng.uniform(5, 10) * scale


def make_corpus(files_per_category: int = 6, seed: int = 2026) -> list[DataFile]:
    """Return labelled files: each category has some files without and most with 1-3 anomalies."""
    rng = np.random.default_rng(seed)
    stamps = (np.datetime64("2026-01-05T00:00:00") + np.arange(ROWS) * np.timedelta64(STEP_S, "s")).astype("datetime64[ns]")
    files: list[DataFile] = []
    for cat in CATEGORIES:
        for k in range(files_per_category):
            y = _series(cat, rng, ROWS)
            count = 0 if k == 0 else int(rng.integers(1, 4))
            # Onsets after NAB's probation (15%), a day apart so windows never overlap.
            onsets = sorted(rng.choice(np.arange(int(0.2 * ROWS), int(0.95 * ROWS), DAY), count, replace=False))
            for at in onsets:
                _inject(cat, y, int(at), rng)
            half = int(0.1 * ROWS / max(count, 1)) // 2
            windows = [(max(0, int(a) - half), min(ROWS - 1, int(a) + half)) for a in onsets]
            files.append(DataFile(f"{cat}/{cat}_{k}.csv", stamps, y, windows))
    return files
