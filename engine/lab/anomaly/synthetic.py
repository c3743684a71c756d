"""Generated series with known limit crossings, to measure predictive alerts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAY = 86400.0
CROSSING = ("disk", "latency", "seasonal-growth", "step-then-fill")
NOT_CROSSING = ("flat", "plateau", "burst", "peaks")
KINDS = CROSSING + NOT_CROSSING  # alternate so any prefix is about half crossing


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


def _clean(kind: str, rel: np.ndarray, season: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Return the noise-free series of one kind and its limit."""
    days = rel[-1] / 24.0
    if kind == "disk":  # percent used, filling linearly; crosses late in the series
        rate = rng.uniform(0.15, 0.5)
        start = 95.0 - rate * rng.uniform(0.6, 0.95) * rel[-1]
        return start + rate * rel + season, 95.0
    if kind == "latency":  # ms, creeping up faster after an onset
        onset = rng.uniform(36, 24 * days - 40)
        return 180 + 3 * season + np.maximum(0, rel - onset) * rng.uniform(2.0, 5.0), 300.0
    if kind == "seasonal-growth":  # daily peaks grow until the peak passes the limit
        amp = rng.uniform(5, 10)
        growth = rng.uniform(0.05, 0.15)
        return 60 + growth * rel + amp * season / np.abs(season).max(), 60 + amp + growth * rel[-1] * rng.uniform(0.7, 0.9)
    if kind == "step-then-fill":  # a jump (new tenant), then a steady fill
        at = rng.uniform(24, 48)
        return 50 + 15 * (rel > at) + rng.uniform(0.2, 0.4) * np.maximum(0, rel - at) + season, 95.0
    if kind == "flat":
        return rng.uniform(50, 70) + season, 90.0
    if kind == "plateau":  # grows then levels off below the limit
        return 60 + 28 * (1 - np.exp(-rel / rng.uniform(10, 40))) + season, 95.0
    if kind == "burst":  # flat with noisy bursts that come near the limit
        base = rng.uniform(50, 60) + season
        return base, 85.0
    # peaks: strong daily peaks that come within a few units of the limit
    amp = rng.uniform(10, 20)
    return 60 + amp * season / np.abs(season).max(), 60 + amp + rng.uniform(3, 6)


def make_scenarios(count: int, seed: int = 0, step: float = 300.0, days: float = 6.0) -> list[Scenario]:
    """Generate crossing and non-crossing series (half each) with daily seasonality."""
    rng = np.random.default_rng(seed)
    t = 1.7e9 + np.arange(int(days * DAY / step)) * step
    rel = (t - t[0]) / 3600.0
    out: list[Scenario] = []
    for i in range(count):
        kind = KINDS[(i // 2) % 4 + 4 * (i % 2)]
        season = rng.uniform(1, 5) * np.sin(2 * np.pi * t / DAY + rng.uniform(0, 6.28))
        clean, limit = _clean(kind, rel, season, rng)
        sigma = rng.uniform(0.3, 1.5) * (3 if kind == "latency" else 1)
        noise = rng.normal(0, sigma, len(t))
        if kind == "burst":  # a few hour-long bursts of 6x noise, clipped below the limit
            for start in rng.integers(0, len(t) - 12, 4):
                noise[start : start + 12] *= 6
            noise = np.minimum(noise, limit - clean - 2)
        out.append(Scenario(f"{kind}-{i}", t, clean + noise, limit, _true_crossing(t, clean, limit)))
    return out
