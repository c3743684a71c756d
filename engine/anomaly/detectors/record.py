"""Stateful streaming wrapper around the robust record scorer for one series."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

from engine.anomaly.detectors.blocks import BlockState
from engine.anomaly.detectors.features import period_from_step
from engine.anomaly.detectors.robust import CHANNELS, RobustParams, State, score_matrix
from engine.anomaly.types import Evidence

PERIOD_PROBE = 9  # timestamps used to infer the sampling step (period needs >= 12 points)
FEEDBACK_MARGIN = 1.25  # "Not an anomaly" also covers deviations up to 25% larger


def _enc(a: np.ndarray) -> dict[str, Any]:
    """Encode an array for JSON (NaN and infinities as null)."""
    flat = np.asarray(a, dtype=np.float64).ravel()
    # One conversion for the whole array: a watch persists tens of thousands of numbers per
    # series, and a Python test per element cost more than scoring the series' day.
    data = flat.astype(object)
    data[~np.isfinite(flat)] = None
    return {"shape": list(a.shape), "data": data.tolist()}


def _dec(d: dict[str, Any]) -> np.ndarray:
    """Decode an array written by _enc."""
    return np.array(d["data"], dtype=np.float64).reshape(d["shape"])


class RecordViews:
    """What the record detectors share: the sampling-step probe, evidence and "Not an anomaly"."""

    seasonal: bool = True
    sensitivity: float
    period: int | None
    _stamps: list[float]
    _floors: np.ndarray
    _last: tuple[float, float, float, np.ndarray, np.ndarray] | None

    def _probe_period(self, ts: np.ndarray) -> None:
        """Fix the daily period once PERIOD_PROBE timestamps are known."""
        if not self.seasonal or len(self._stamps) >= PERIOD_PROBE:
            return
        self._stamps.extend(ts[: PERIOD_PROBE - len(self._stamps)].tolist())
        if len(self._stamps) == PERIOD_PROBE:
            self.period = period_from_step(float(np.median(np.diff(self._stamps))))

    def evidence(self) -> Evidence | None:
        """Return value and expected range (deviations below the current record)."""
        if self._last is None:
            return None
        value, expected, scale, _, record = self._last
        if not np.isfinite(expected):
            return None
        half = float(scale * max(record[0], 3.0))
        return Evidence(float(value), float(expected), float(expected - half), float(expected + half))

    def feedback_not_anomaly(self) -> None:
        """Raise the record floors (every member's) so deviations like the last one stop alerting."""
        if self._last is None:
            return
        deviation = self._last[3] / self.sensitivity
        self._floors = np.maximum(self._floors, FEEDBACK_MARGIN * deviation)


class RobustRecordDetector(RecordViews):
    """Causal detector for one series; state is bounded (tails plus block summaries)."""

    name = "robust"

    def __init__(self, params: RobustParams | None = None, sensitivity: float = 1.0, seasonal: bool = True) -> None:
        """Create a detector; sensitivity > 1 alerts on smaller deviations."""
        if sensitivity <= 0:
            raise ValueError("sensitivity must be positive")
        self.params = params or RobustParams()
        self.sensitivity = float(sensitivity)
        self.seasonal = seasonal
        self.period: int | None = None
        self._stamps: list[float] = []  # only the first PERIOD_PROBE, to infer the step
        self._state = State.fresh(1, self.params)
        self._floors = np.zeros(CHANNELS)
        self._last: tuple[float, float, float, np.ndarray, np.ndarray] | None = None

    def update(self, timestamp: float, value: float) -> float:
        """Score one new point."""
        return float(self.score_batch(np.array([timestamp]), np.array([value]))[0])

    def score_batch(self, timestamps: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Score consecutive new points; identical to calling update on each."""
        ts = np.asarray(timestamps, dtype=np.float64)
        vals = np.asarray(values, dtype=np.float64)
        if len(vals) == 0:
            return np.zeros(0)
        self._probe_period(ts)
        scored = score_matrix(vals[:, None], self._state, self.period, self.params, self.sensitivity, self._floors[:, None])
        self._state = scored.state
        last = scored.record[:, -1, 0] / self.sensitivity
        self._last = (vals[-1], scored.expected[-1, 0], scored.scale[-1, 0], scored.deviation[:, -1, 0], last)
        return scored.scores[:, 0]


    def to_state(self) -> dict[str, Any]:
        """Return a JSON-serializable snapshot."""
        s = self._state
        return {
            "detector": self.name,
            "params": asdict(self.params),
            "sensitivity": self.sensitivity,
            "seasonal": self.seasonal,
            "period": self.period,
            "stamps": list(self._stamps),
            "raw": _enc(s.raw),
            "lev": _enc(s.lev),
            "chans": [{"partial": _enc(c.partial), "stats": _enc(c.stats)} for c in s.chans],
            "dev_tail": s.dev_tail[:, 0].tolist(),
            "record": s.record[:, 0].tolist(),
            "refractory": float(s.refractory[0]),
            "seen": int(s.seen),
            "bounds": s.bounds[:, 0].tolist() if s.bounds is not None else None,
            "floors": self._floors.tolist(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "RobustRecordDetector":
        """Restore a detector from to_state() output."""
        det = cls(RobustParams(**state["params"]), state["sensitivity"], state["seasonal"])
        det.period = state["period"]
        det._stamps = list(state["stamps"])
        det._state = State(
            _dec(state["raw"]), _dec(state["lev"]),
            [BlockState(_dec(c["partial"]), _dec(c["stats"])) for c in state["chans"]],
            np.asarray(state["dev_tail"], dtype=np.float64)[:, None],
            np.asarray(state["record"], dtype=np.float64)[:, None],
            np.array([state["refractory"]], dtype=np.float64),
            int(state["seen"]),
            np.asarray([np.nan if b is None else b for b in state.get("bounds") or [None, None]], dtype=np.float64)[:, None],
        )
        floors = np.asarray(state["floors"], dtype=np.float64)
        # States written before the range channel existed have one floor fewer.
        det._floors = np.concatenate([floors, np.zeros(CHANNELS - len(floors))])
        return det
