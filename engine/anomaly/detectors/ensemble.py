"""Two-scale ensemble: the robust record detector on the raw values and on a log-like scale.

Server metrics (request rates, latencies, queue lengths, counts) are positive and heavy
tailed: on the raw scale a busy hour's ordinary spread looks like a spike, on a log scale a
quiet hour's small absolute change looks like one. Each view alone misfires where the other
does not, so the score is the mean of the two members' calibrated scores: an alert needs
both views to agree the point is unusual, or one to be very sure. The log-like view is
asinh(x / c), linear near zero and logarithmic far from it, with the scale c fixed once from
the series' first `probe` rows (their median magnitude), so the transform never changes and
the detector stays causal. Both members run as two columns of one `score_matrix` call,
which costs about what one member costs.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

from engine.anomaly.detectors.blocks import BlockState
from engine.anomaly.detectors.record import RecordViews, _dec, _enc
from engine.anomaly.detectors.robust import CHANNELS, RobustParams, State, score_matrix

MEMBERS = 2  # raw, asinh
SCALE_PROBE = 32  # rows that fix the log scale; below RobustParams.min_history, so no score is lost


def log_scale(values: np.ndarray) -> float:
    """Return the asinh scale: the median magnitude of the nonzero probe values (1 if none)."""
    mag = np.abs(values[np.isfinite(values) & (values != 0)])
    return float(np.median(mag)) if len(mag) else 1.0


class EnsembleDetector(RecordViews):
    """Causal detector for one series: mean score of robust on raw and on asinh(x / c)."""

    name = "ensemble"

    def __init__(self, params: RobustParams | None = None, sensitivity: float = 1.0) -> None:
        """Create a detector; sensitivity > 1 alerts on smaller deviations."""
        if sensitivity <= 0:
            raise ValueError("sensitivity must be positive")
        self.params = params or RobustParams()
        if SCALE_PROBE >= self.params.min_history:
            raise ValueError("the scale probe must end before scoring starts")
        self.sensitivity = float(sensitivity)
        self.period: int | None = None
        self.scale: float | None = None
        self._stamps: list[float] = []
        self._held: list[tuple[float, float]] = []  # rows before the scale is fixed
        self._state = State.fresh(MEMBERS, self.params)
        self._floors = np.zeros((CHANNELS, MEMBERS))
        self._last: tuple[float, float, float, np.ndarray, np.ndarray] | None = None

    def update(self, timestamp: float, value: float) -> float:
        """Score one new point."""
        return float(self.score_batch(np.array([timestamp]), np.array([value]))[0])

    def score_batch(self, timestamps: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Score consecutive new points; identical to calling update on each."""
        ts = np.asarray(timestamps, dtype=np.float64)
        vals = np.asarray(values, dtype=np.float64)
        n = len(vals)
        if n == 0:
            return np.zeros(0)
        out = np.zeros(n)
        start = 0
        if self.scale is None:
            # Hold rows until the scale is known; they score 0 (before min_history) either way.
            take = min(n, SCALE_PROBE - len(self._held))
            self._held.extend(zip(ts[:take].tolist(), vals[:take].tolist()))
            start = take
            if len(self._held) < SCALE_PROBE:
                return out
            held = np.array(self._held)
            self._held = []
            self.scale = log_scale(held[:, 1])
            self._feed(held[:, 0], held[:, 1])
        if start < n:
            out[start:] = self._feed(ts[start:], vals[start:])
        return out

    def _feed(self, ts: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """Score rows once the scale is fixed."""
        self._probe_period(ts)
        assert self.scale is not None
        x = np.stack([vals, np.arcsinh(vals / self.scale)], axis=1)
        scored = score_matrix(x, self._state, self.period, self.params, self.sensitivity, self._floors)
        self._state = scored.state
        last = scored.record[:, -1, 0] / self.sensitivity
        self._last = (vals[-1], scored.expected[-1, 0], scored.scale[-1, 0], scored.deviation[:, -1, :], last)
        return np.asarray(scored.scores.mean(axis=1))

    def to_state(self) -> dict[str, Any]:
        """Return a JSON-serializable snapshot."""
        s = self._state
        return {
            "detector": self.name,
            "params": asdict(self.params),
            "sensitivity": self.sensitivity,
            "period": self.period,
            "scale": self.scale,
            "stamps": list(self._stamps),
            "held": [list(r) for r in self._held],
            "raw": _enc(s.raw),
            "lev": _enc(s.lev),
            "chans": [{"partial": _enc(c.partial), "stats": _enc(c.stats)} for c in s.chans],
            "dev_tail": _enc(s.dev_tail),
            "record": _enc(s.record),
            "refractory": _enc(s.refractory),
            "seen": int(s.seen),
            "bounds": _enc(s.bounds if s.bounds is not None else np.full((2, MEMBERS), np.nan)),
            "floors": _enc(self._floors),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "EnsembleDetector":
        """Restore a detector from to_state() output."""
        det = cls(RobustParams(**state["params"]), state["sensitivity"])
        det.period = state["period"]
        det.scale = state["scale"]
        det._stamps = list(state["stamps"])
        det._held = [(float(a), float(b)) for a, b in state["held"]]
        det._state = State(
            _dec(state["raw"]), _dec(state["lev"]),
            [BlockState(_dec(c["partial"]), _dec(c["stats"])) for c in state["chans"]],
            _dec(state["dev_tail"]), _dec(state["record"]), _dec(state["refractory"]),
            int(state["seen"]), _dec(state["bounds"]),
        )
        det._floors = _dec(state["floors"])
        return det


def score_fresh_matrix(values: np.ndarray, period: int | None, params: RobustParams | None = None) -> np.ndarray:
    """Score m fresh series at once (values (n, m), n >= SCALE_PROBE): same scores as one detector each."""
    p = params or RobustParams()
    n, m = values.shape
    if n < SCALE_PROBE:
        raise ValueError(f"need at least {SCALE_PROBE} rows to fix the log scale")
    scales = np.array([log_scale(values[:SCALE_PROBE, j]) for j in range(m)])
    x = np.hstack([values, np.arcsinh(values / scales)])  # members side by side: raw block, asinh block
    scored = score_matrix(x, State.fresh(2 * m, p, period), period, p)
    return np.asarray(0.5 * (scored.scores[:, :m] + scored.scores[:, m:]))
