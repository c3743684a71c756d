"""Robust record detector: robust z-scores (plain and seasonal), scored as records.

Each point gets a deviation r = max(robust z against the last `window` points, robust z
of its residual against the same phase of the past `seasons` days), on the raw values
("spike") and on a short rolling median ("level", for shifts). The score is
u = r / (r + m), m being the largest deviation seen recently (forgotten with a
half-life), so u > 0.5 exactly when a deviation beats the series' own recent record.
That calibrates one threshold across series of any scale and noise. A short refractory
memory damps repeats so a long incident alerts once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from engine.anomaly.detectors.features import decayed_max, robust_z, seasonal_residual

CHANNELS = 2  # spike, level


@dataclass(frozen=True)
class RobustParams:
    """Hyperparameters; see tests/benchmarks/bench_nab.py for how they were chosen."""

    window: int = 300
    level: int = 10
    seasons: int = 3
    record_halflife: float = 1400.0
    refractory_halflife: float = 70.0
    damp: float = 0.9
    min_history: int = 50
    min_periods: int = 30
    rel_floor: float = 0.01

    def history(self, period: int | None) -> int:
        """Return how many past raw values the features need."""
        return 2 * self.window + self.level + (self.seasons * period if period else 0) + 2


@dataclass
class Carry:
    """Per-series recursive state between batches (one entry per series column)."""

    record: np.ndarray  # (CHANNELS, m) decayed max deviation
    refractory: np.ndarray  # (m,) decayed max of undamped scores
    seen: np.ndarray  # (m,) points seen

    @classmethod
    def fresh(cls, m: int) -> "Carry":
        """Return the state of series that have seen nothing."""
        return cls(np.zeros((CHANNELS, m)), np.zeros(m), np.zeros(m, dtype=np.int64))


@dataclass
class Scored:
    """Scores of a batch plus what the spike channel expected at each row."""

    scores: np.ndarray
    expected: np.ndarray
    scale: np.ndarray
    deviation: np.ndarray  # (CHANNELS, n, m)
    record: np.ndarray  # (CHANNELS, n, m) record level in force at each row
    carry: Carry = field(repr=False, default=None)  # type: ignore[assignment]


def _channel(v: pd.DataFrame, period: int | None, p: RobustParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (deviation, expected value, scale) for one channel."""
    z, med, scale = robust_z(v, p.window, p.rel_floor, p.min_periods)
    dev, expected, sc = z.to_numpy(), med.to_numpy(), scale.to_numpy()
    if period:
        resid, base = seasonal_residual(v, period, p.seasons)
        zs, meds, scales = robust_z(resid, p.window, p.rel_floor, p.min_periods)
        zs_np = zs.to_numpy()
        seasonal = ~np.isnan((base + meds).to_numpy())
        # Take the larger deviation so a broken daily pattern alerts even inside the range.
        use = seasonal & (zs_np > dev)
        dev = np.where(seasonal, np.maximum(dev, zs_np), dev)
        expected = np.where(use, (base + meds).to_numpy(), expected)
        sc = np.where(use, scales.to_numpy(), sc)
    return dev, expected, sc


def score_matrix(
    history: np.ndarray,
    values: np.ndarray,
    period: int | None,
    carry: Carry,
    p: RobustParams,
    sensitivity: np.ndarray | float = 1.0,
    floors: np.ndarray | None = None,
) -> Scored:
    """Score new rows `values` (n, m) given the raw `history` rows before them."""
    h = len(history)
    frame = pd.DataFrame(np.vstack([history, values]))
    spike = _channel(frame, period, p)
    level = _channel(frame.rolling(p.level, min_periods=1).median(), period, p)
    devs = np.stack([spike[0][h:], level[0][h:]])
    floors = np.zeros((CHANNELS, values.shape[1])) if floors is None else floors
    records, carries = [], []
    for c in range(CHANNELS):
        before, after = decayed_max(devs[c], carry.record[c], p.record_halflife)
        records.append(np.maximum(before, floors[c][None, :]))
        carries.append(after)
    record = np.stack(records)
    sens = np.asarray(sensitivity, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.nan_to_num(sens * devs / (sens * devs + record), nan=0.0)
    u = ratio.max(axis=0)
    seen = carry.seen[None, :] + np.arange(1, len(values) + 1)[:, None]
    u = np.where(seen > p.min_history, u, 0.0)
    prev, refr = decayed_max(u, carry.refractory, p.refractory_halflife)
    out = np.where(u > prev, u, p.damp * u)
    new_carry = Carry(np.stack(carries), refr, carry.seen + len(values))
    return Scored(out, spike[1][h:], spike[2][h:], devs, record, new_carry)


def params_dict(p: RobustParams) -> dict:
    """Return params as a plain dict."""
    return asdict(p)
