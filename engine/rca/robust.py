"""Robust statistics for the ranker: baselines, robust z-scores, CUSUM onsets, change point."""

from __future__ import annotations

import numpy as np

IQR_TO_SIGMA = 1.349  # IQR of a standard normal
MAD_TO_SIGMA = 1.4826


def robust_location_scale(values: np.ndarray) -> tuple[float, float]:
    """Return (median, sigma estimate from IQR, falling back to MAD, then std, then 1)."""
    if values.size == 0:
        return 0.0, 1.0
    med = float(np.median(values))
    q75, q25 = np.percentile(values, [75, 25])
    scale = float(q75 - q25) / IQR_TO_SIGMA
    if scale <= 0:
        # Mostly-constant baselines (error counters at 0) have IQR 0; MAD or std still
        # measure the rare movement, and without a floor any blip would be infinite.
        scale = float(np.median(np.abs(values - med))) * MAD_TO_SIGMA
    if scale <= 0:
        scale = float(values.std())
    if scale <= 0:
        scale = max(abs(med) * 0.01, 1e-6)
    return med, scale


def cusum_onset(z: np.ndarray, drift: float = 1.0, threshold: float = 4.0) -> tuple[int | None, int | None]:
    """Run a two-sided CUSUM on z-scores; return (onset index, alarm index) or (None, None).

    The onset is the last index at which the alarming side's sum was zero before the alarm:
    the classical change-point estimate, computed causally (only past points are used).
    """
    hi = lo = 0.0
    start_hi = start_lo = 0
    for i, x in enumerate(z):
        hi = max(0.0, hi + x - drift)
        lo = max(0.0, lo - x - drift)
        if hi == 0.0:
            start_hi = i + 1
        if lo == 0.0:
            start_lo = i + 1
        if hi > threshold:
            return min(start_hi, i), i
        if lo > threshold:
            return min(start_lo, i), i
    return None, None


def excess_energy(z: np.ndarray, level: float = 3.0, cap: float = 50.0) -> np.ndarray:
    """Return per-row sum of squared excess of |z| above ``level`` (capped per cell).

    Normal points contribute (almost) nothing, so the sum rises only when several series
    or one series strongly leave their baseline; the cap stops one broken series from
    dominating the system-wide picture.
    """
    excess = np.clip(np.abs(z) - level, 0.0, cap)
    return (excess**2).sum(axis=1)


def estimate_change_point(energy: np.ndarray, reference: np.ndarray) -> int:
    """Return the index where the system-wide anomaly episode starts.

    ``energy`` covers the search window; ``reference`` is the same statistic on baseline
    rows.  The episode is the run around the window's peak that stays above the
    reference's highest value; its first index is the change point.  Walking back from
    the peak rather than taking the first exceedance keeps an isolated early blip from
    being mistaken for the onset.
    """
    if energy.size == 0:
        return 0
    peak = int(np.argmax(energy))
    level = float(np.max(reference)) if reference.size else 0.0
    if energy[peak] <= level:
        return peak
    start = peak
    while start > 0 and energy[start - 1] > level:
        start -= 1
    return start
