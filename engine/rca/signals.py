"""Per-signal deviation analysis: baseline, change point, peak deviation and onset."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.rca.grid import Grid
from engine.rca.robust import cusum_onset, estimate_change_point, excess_energy, robust_location_scale


@dataclass(frozen=True)
class SignalStats:
    """What one signal did around the incident."""

    name: str
    deviation: float  # peak |robust z| from the episode start on
    signed_peak: float  # z at that peak (sign gives the direction)
    onset: float | None  # unix seconds the CUSUM places the start of its deviation
    up: float = 0.0  # peak rise above the baseline, robust units
    down: float = 0.0  # peak drop below the baseline, robust units


@dataclass(frozen=True)
class Episode:
    """The anomaly episode found in the data and the per-signal statistics inside it."""

    change_time: float
    window_start: float
    stats: dict[str, SignalStats]
    baseline_rows: np.ndarray  # boolean mask of grid rows used as the clean baseline
    episode_rows: np.ndarray  # boolean mask of grid rows scored as the incident


def search_horizon(grid: Grid, detect_time: float, lookback: float | None) -> float:
    """Return how far before detection to look for the onset, in seconds.

    Detection can lag the fault by an unknown amount, so the onset is searched in a
    window before it: a fifth of the pre-detection history, at least ten steps, never
    more than half of the history (the rest stays as a clean baseline).
    """
    history = max(detect_time - float(grid.times[0]), 0.0)
    if lookback is not None:
        return min(lookback, 0.5 * history)
    return min(max(0.2 * history, 10 * grid.step), 0.5 * history)


def analyse(grid: Grid, detect_time: float, lookback: float | None = None, guard_steps: int = 1) -> Episode:
    """Score every signal against a pre-onset baseline with a change point found in the data."""
    horizon = search_horizon(grid, detect_time, lookback)
    window_start = detect_time - horizon
    base_rows = grid.times < window_start
    if base_rows.sum() < 3:
        base_rows = grid.times < detect_time
    z = np.zeros_like(grid.values)
    for col in range(grid.values.shape[1]):
        med, scale = robust_location_scale(grid.values[base_rows, col])
        z[:, col] = (grid.values[:, col] - med) / scale
    win = np.flatnonzero(grid.times >= window_start)
    if win.size == 0:
        win = np.arange(grid.times.size)
    energy = excess_energy(z)
    cp = int(win[estimate_change_point(energy[win], energy[base_rows])])
    start = max(cp - guard_steps, int(win[0]))
    stats = {}
    for col, name in enumerate(grid.names):
        seg = z[start:, col]
        peak = int(np.argmax(np.abs(seg))) if seg.size else 0
        onset_idx, _ = cusum_onset(z[win[0] :, col])
        onset = float(grid.times[win[0] + onset_idx]) if onset_idx is not None else None
        stats[name] = SignalStats(
            name=name,
            deviation=float(abs(seg[peak])) if seg.size else 0.0,
            signed_peak=float(seg[peak]) if seg.size else 0.0,
            onset=onset,
            up=float(max(seg.max(), 0.0)) if seg.size else 0.0,
            down=float(max(-seg.min(), 0.0)) if seg.size else 0.0,
        )
    rows = np.zeros(grid.times.size, dtype=bool)
    rows[start:] = True
    return Episode(float(grid.times[cp]), float(grid.times[start]), stats, base_rows, rows)
