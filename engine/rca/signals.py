"""Per-signal deviation analysis: baseline, change point, peak deviation and onset."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.rca.grid import Grid
from engine.rca.robust import cusum_onset, estimate_change_point, excess_energy, robust_location_scale
from engine.rca.trend import baseline_trend
from engine.rca.types import split_name


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
    heavy: frozenset[str] = frozenset()  # signals held to SUSTAIN_ROWS: spiky, or of a spiky metric type


MIN_HORIZON_STEPS = 10  # the shortest onset search: detection rarely lags more than this
BAND = 3.0  # robust sigmas: the level ``excess_energy`` counts from


def search_horizon(grid: Grid, detect_time: float, lookback: float | None) -> float:
    """Return how far before detection to look for the onset, in seconds.

    Detection can lag the fault by an unknown amount, so the onset is searched in a
    window before it: a fifth of the pre-detection history, at least ten steps, never
    more than half of the history (the rest stays as a clean baseline).
    """
    history = max(detect_time - float(grid.times[0]), 0.0)
    if lookback is not None:
        return min(lookback, 0.5 * history)
    return min(max(0.2 * history, MIN_HORIZON_STEPS * grid.step), 0.5 * history)


def analyse(grid: Grid, detect_time: float, lookback: float | None = None, guard_steps: int = 1) -> Episode:
    """Score every signal against a pre-onset baseline with a change point found in the data."""
    horizon = search_horizon(grid, detect_time, lookback)
    window_start = detect_time - horizon
    base_rows = grid.times < window_start
    if base_rows.sum() < 3:
        base_rows = grid.times < detect_time
    z = np.zeros_like(grid.values)
    # Deviations are measured around each series' slow component (a daily wave), fitted on
    # the baseline only: a drift that was under way before the fault is not its onset.
    level = grid.values - baseline_trend(grid.times, grid.values, base_rows) if DETREND else grid.values
    for col in range(grid.values.shape[1]):
        med, scale = robust_location_scale(level[base_rows, col])
        z[:, col] = (level[:, col] - med) / scale
    win = np.flatnonzero(grid.times >= window_start)
    if win.size == 0:
        win = np.arange(grid.times.size)
    energy = excess_energy(z, level=BAND)
    cp = _change_row(grid, detect_time, z, energy, win, base_rows)
    start = max(cp - guard_steps, int(win[0]))
    stats = {}
    heavy = heavy_tailed(grid.names, z[base_rows]) if base_rows.any() else frozenset()
    for col, name in enumerate(grid.names):
        # A signal that spikes alone in its own baseline (heavy tails) must hold a deviation
        # for SUSTAIN_ROWS rows; a Gaussian one may deviate for a single row (CIRCA's 2-row faults).
        seg = sustained(z[start:, col], SUSTAIN_ROWS if name in heavy else 1)
        peak = int(np.argmax(np.abs(seg))) if seg.size else 0
        if ONSET == "excursion":
            onset_idx = excursion_start(z[:, col], start + peak, int(win[0])) - int(win[0]) if seg.size else None
        else:
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
    return Episode(float(grid.times[cp]), float(grid.times[start]), stats, base_rows, rows, heavy)


def heavy_tailed(names: list[str], base_z: np.ndarray) -> frozenset[str]:
    """Return the signals whose baseline spikes beyond ``SPIKY_Z``, or whose metric type mostly does.

    Spikes are rare: a signal whose baseline happened to hold none is as heavy-tailed as the
    others of its kind (one exporter, one noise process), and its one spike in the episode
    is no more a fault than theirs.  A metric type counts as spiky when at least
    ``POOLED_SHARE`` of its (at least ``POOLED_MIN``) signals spiked.
    """
    own = np.abs(base_z).max(axis=0) > SPIKY_Z
    out = {n for n, s in zip(names, own) if s}
    if POOLED_SHARE <= 1.0:
        kinds: dict[str, list[bool]] = {}
        for n, s in zip(names, own):
            kinds.setdefault(split_name(n)[1], []).append(bool(s))
        spiky_kinds = {k for k, v in kinds.items() if len(v) >= POOLED_MIN and sum(v) >= POOLED_SHARE * len(v)}
        out |= {n for n in names if split_name(n)[1] in spiky_kinds}
    return frozenset(out)


# A daily wave fitted on the baseline is removed before deviations and onsets (False: raw levels).
# On design seeds a linear trend over the last 120 baseline rows lost CIRCA 10 nodes 0.953 -> 0.935
# (it extrapolates noise), and keeping the wave only where it cut the baseline sigma by 5 % changed nothing.
DETREND = True
SUSTAIN_ROWS = 2
ENDED_STEPS = 5  # an alert's `for:` rarely exceeds 5 steps; -1 = search the whole window
SPIKY_Z = 6.0  # robust sigmas: beyond what a Gaussian baseline of a few thousand rows reaches
POOLED_SHARE = 0.5  # of a metric type's signals spiking: the whole type is heavy-tailed (> 1: off)
POOLED_MIN = 3
ONSET = "excursion"
EXCURSION_LEVEL = 2.0


def sustained(z: np.ndarray, rows: int) -> np.ndarray:
    """Return per row the value ``z`` held for ``rows`` consecutive rows (toward zero): one-row spikes drop out."""
    if rows <= 1 or z.size < rows:
        return z
    win = np.lib.stride_tricks.sliding_window_view(z, rows)
    low, high = win.min(axis=1), win.max(axis=1)
    out = np.where(low > 0, low, np.where(high < 0, high, 0.0))
    return np.concatenate([out, z[z.size - rows + 1 :] * 0.0])


def excursion_start(z: np.ndarray, peak: int, first: int) -> int:
    """Return the first row of the run around ``peak`` whose |z| stays at or above ``EXCURSION_LEVEL``."""
    row = peak
    sign = 1.0 if z[peak] >= 0 else -1.0
    while row > first and sign * z[row - 1] >= EXCURSION_LEVEL:
        row -= 1
    return row


def _change_row(
    grid: Grid, detect_time: float, z: np.ndarray, energy: np.ndarray, win: np.ndarray, base_rows: np.ndarray
) -> int:
    """Return the grid row where the episode starts.

    When some row of the search window is more anomalous than every baseline row, the
    data place the episode: the run of such rows around the strongest one from
    ``ENDED_STEPS`` before the detection on.  A louder burst that was over long before the
    alert is not what the alert saw: on ``simulate_faults`` development seeds 13 / 14 such
    bursts opened the episode 24-72 steps early in 8 of 19 missed latency faults.  When no
    row from there on is, the window's peak
    is only its loudest noise: with heavy-tailed metrics a spike hours before the fault
    then opened the episode, and its noise outranked the fault's own signals (simulate_alt:
    half the cases).  The detection is then the better anchor: the episode starts at the
    detection, or earlier at the most anomalous row of the shortest search horizon around
    it, so a fault that ended just before a late detection stays inside.  "Most anomalous"
    counts first how many signals leave their 3-sigma band together: a fault moves a signal
    with its effects, a heavy-tailed noise spike moves one signal, however far.
    """
    ref = energy[base_rows]
    level = float(ref.max()) if ref.size else 0.0
    detect_row = min(int(np.searchsorted(grid.times, detect_time)), grid.times.size - 1)
    if not ref.size:
        return int(win[estimate_change_point(energy[win], ref)])
    if (energy[win] > level).any():
        # Only rows from ENDED_STEPS before detection on may hold the episode's peak: a burst
        # that was over that long before the alert is not what the alert saw (correlated noise
        # bursts, or an earlier incident).
        cut = max(int(win[0]), detect_row - ENDED_STEPS)
        recent = np.arange(cut, grid.times.size) if ENDED_STEPS >= 0 else win
        if (energy[recent] > level).any():
            peak = int(recent[np.argmax(energy[recent])])
            start = peak
            while start > int(win[0]) and energy[start - 1] > level:
                start -= 1
            return start
    near = np.flatnonzero(grid.times >= detect_time - MIN_HORIZON_STEPS * grid.step)
    near = near[near >= win[0]]
    if not near.size:
        return max(detect_row, int(win[0]))
    breadth = (np.abs(z[near]) > BAND).sum(axis=1)
    peak = int(near[np.lexsort((-energy[near], -breadth))[0]])  # widest row, then the strongest
    return max(min(detect_row, peak), int(win[0]))
