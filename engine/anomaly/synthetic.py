"""Generated series with known limit crossings, to measure predictive alerts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAY = 86400.0


@dataclass(frozen=True)
class Scenario:
    """A series, its limit, and when (if ever) the truth crosses it."""

    name: str
    timestamps: np.ndarray
    values: np.ndarray
    limit: float
    cross_at: float | None  # epoch seconds of the first true crossing, None if never


def _true_crossing(t: np.ndarray, clean: np.ndarray, limit: float) -> float | None:
    """Return the first time the noise-free series reaches the limit."""
    hit = np.nonzero(clean >= limit)[0]
    return float(t[hit[0]]) if len(hit) else None


def make_scenarios(count: int, seed: int = 0, step: float = 300.0, days: float = 6.0) -> list[Scenario]:
    """Generate disk-filling, latency-creep and non-crossing series with daily seasonality."""
    rng = np.random.default_rng(seed)
    t = 1.7e9 + np.arange(int(days * DAY / step)) * step
    rel = (t - t[0]) / 3600.0
    out: list[Scenario] = []
    for i in range(count):
        kind = ("disk", "latency", "flat", "plateau")[i % 4]
        season = rng.uniform(1, 5) * np.sin(2 * np.pi * t / DAY + rng.uniform(0, 6.28))
        if kind == "disk":  # percent used, filling linearly
            start, rate, limit = rng.uniform(40, 60), rng.uniform(0.15, 0.5), 95.0
            clean = start + rate * rel + season
        elif kind == "latency":  # ms, creeping up faster after an onset
            onset = rng.uniform(24, 72)
            clean = 180 + 3 * season + np.maximum(0, rel - onset) * rng.uniform(0.8, 2.5)
            limit = 300.0
        elif kind == "flat":
            clean = rng.uniform(50, 70) + season
            limit = 90.0
        else:  # grows then levels off below the limit
            clean = 60 + 25 * (1 - np.exp(-rel / rng.uniform(10, 40))) + season
            limit = 95.0
        noise = rng.normal(0, rng.uniform(0.3, 1.5) * (3 if kind == "latency" else 1), len(t))
        out.append(Scenario(f"{kind}-{i}", t, clean + noise, limit, _true_crossing(t, clean, limit)))
    return out
