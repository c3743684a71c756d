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

The `ensemble-coarse` detector (the default) adds a coarse view that scores the series'
two-hour means (a second, smaller ensemble fed one row per closed bucket of COARSE_SECONDS,
buckets aligned on the row count): a burst or a hump lasting hours (a surge of tweets, a slow
traffic jam) barely beats the one-row records but stands out among the two-hour means. Its
score, times COARSE_WEIGHT, lands on the bucket's last row and the detector emits the larger
of the two, so the coarse view adds detections and never hides one. The two-hour bucket, the
five-day seasonal memory and the weight were picked by leave-one-category-out on NAB and
checked on generated dev series and, once, on two held-out generated corpora
(tests/benchmarks/bench_nab.py --held-out; docs/anomaly.md gives the neighbours' figures).

The members' and views' parameters and weights live in detectors/ensemble_views.py, the
encoding of the members' and the flat view's state in detectors/ensemble_state.py, the
many-series scorer in detectors/ensemble_matrix.py; this module wires the views into one
streaming detector and combines their scores.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

import numpy as np

from engine.anomaly.detectors.calm import CalmState, calm_scores
from engine.anomaly.detectors.ensemble_matrix import score_fresh_matrix
from engine.anomaly.detectors.ensemble_state import decode_flat, decode_members, encode_flat, encode_members
from engine.anomaly.detectors.ensemble_views import (
    COARSE_PARAMS, COARSE_SECONDS, COARSE_WEIGHT, DROP_POWER, MEMBERS, RANGE_HALFLIFE, SCALE_PROBE, SPREAD_HALFLIFE,
    SPREAD_WEIGHT, bucket_means, coarse_rows, combine_members, default_params, log_scale,
)
from engine.anomaly.detectors.record import FEEDBACK_MARGIN, PERIOD_PROBE, RecordViews, _dec, _enc
from engine.anomaly.detectors.robust import CHANNELS, RobustParams, State, score_matrix
from engine.anomaly.detectors.spread import SpreadState, score_spread

# Importers name the ensemble's constants and helpers from here.
__all__ = [
    "COARSE_PARAMS", "COARSE_SECONDS", "COARSE_WEIGHT", "DROP_POWER", "MEMBERS", "RANGE_HALFLIFE", "SCALE_PROBE",
    "SPREAD_HALFLIFE", "SPREAD_WEIGHT", "EnsembleDetector", "bucket_means", "coarse_rows", "combine_members",
    "default_params", "log_scale", "score_fresh_matrix",
]


class EnsembleDetector(RecordViews):
    """Causal detector for one series: robust on raw and on asinh(x / c), optionally also on two-hour means."""

    name = "ensemble"

    def __init__(
        self, params: RobustParams | None = None, sensitivity: float = 1.0, coarse: bool = False, flat: bool = False,
        calm: bool = False,
    ) -> None:
        """Create a detector; sensitivity > 1 alerts on smaller deviations; coarse adds the two-hour view, flat the
        flatline view, calm the warm-up ramp and phase-recurrence damping (detectors/calm.py)."""
        if sensitivity <= 0:
            raise ValueError("sensitivity must be positive")
        self.params = params or default_params(coarse, calm)
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
        self.coarse = coarse
        self.bucket: int | None = None  # rows per coarse bucket, fixed by the first PERIOD_PROBE stamps
        self._pending: list[tuple[float, float]] = []  # rows of the unfinished bucket (all rows until fixed)
        self._coarse: EnsembleDetector | None = None
        self._flat = SpreadState.fresh(1, self.params.blocks) if flat else None
        self._calm = CalmState.fresh() if calm else None

    def variant(self) -> tuple[bool, bool, bool]:
        """Return which views this detector runs: (coarse, flat, calm)."""
        return self.coarse, self._flat is not None, self._calm is not None

    def set_calm(self, on: bool) -> None:
        """Add the calm layer to a detector that has learned its series (no warm-up ramp), or drop it."""
        if not on:
            self._calm = None
        elif self._calm is None:
            self._calm = CalmState.learned()
        self._set_range_memory(on)

    def _set_range_memory(self, on: bool) -> None:
        """Switch the range channel's memory of recent breaks (calm only) here and in the coarse view."""
        self.params = replace(self.params, range_halflife=RANGE_HALFLIFE if on else 0.0)
        if not on:
            self._state.range_record = None
        if self._coarse is not None:
            self._coarse._set_range_memory(on)

    def update(self, timestamp: float, value: float) -> float:
        """Score one new point."""
        return float(self.score_batch(np.array([timestamp]), np.array([value]))[0])

    def score_batch(self, timestamps: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Score consecutive new points; identical to calling update on each."""
        ts = np.asarray(timestamps, dtype=np.float64)
        vals = np.asarray(values, dtype=np.float64)
        if len(vals) == 0:
            return np.zeros(0)
        out = self._score_fine(ts, vals)
        if self.coarse:
            out = np.maximum(out, np.minimum(1.0, COARSE_WEIGHT * self._score_coarse(ts, vals)))
        if self._flat is not None:
            flat, self._flat = score_spread(vals[:, None], self._flat, self.params.block, SPREAD_HALFLIFE, self.sensitivity)
            out = np.maximum(out, SPREAD_WEIGHT * flat[:, 0])
        if self._calm is not None:
            out = calm_scores(ts, out, self._calm)
        return out

    def _score_coarse(self, ts: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """Return the coarse view's scores: each closed bucket's score on its last row, 0 elsewhere."""
        n = len(vals)
        out = np.zeros(n)
        before = len(self._pending)
        self._pending.extend(zip(ts.tolist(), vals.tolist()))
        if self.bucket is None:
            if len(self._pending) < PERIOD_PROBE:
                return out
            self.bucket = coarse_rows(float(np.median(np.diff([r[0] for r in self._pending[:PERIOD_PROBE]]))))
            if self.bucket is None:  # steps of an hour or more: no coarser view worth having
                self.coarse, self._pending = False, []
                return out
        k = self.bucket
        done = len(self._pending) // k
        if done == 0:
            return out
        rows = np.array(self._pending[: done * k])
        self._pending = self._pending[done * k :]
        if self._coarse is None:
            self._coarse = EnsembleDetector(self.params, self.sensitivity, coarse=False)
        scores = self._coarse.score_batch(rows[k - 1 :: k, 0], bucket_means(rows[:, 1], k))
        # Bucket j closes on pending row (j + 1) k - 1; rows held before the bucket was fixed
        # are already answered (their buckets are far too early to score anyway).
        at = np.arange(1, done + 1) * k - 1 - before
        keep = at >= 0
        out[at[keep]] = scores[keep]
        return out

    def _score_fine(self, ts: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """Score rows with the row-level members (raw and asinh)."""
        n = len(vals)
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
        # With the calm layer, rows below what the raw member expected combine nearer the surer
        # member (ensemble_views.combine_members); the coarse view (no calm of its own) keeps the mean.
        below = vals < scored.expected[:, 0]
        return combine_members(scored.scores, below, self._calm is not None)

    def feedback_not_anomaly(self) -> None:
        """Raise the record floors of both views so deviations like the last ones stop alerting."""
        super().feedback_not_anomaly()
        if self._coarse is not None:
            self._coarse.feedback_not_anomaly()
        if self._flat is not None and self._flat.last is not None:
            self._flat.record = np.maximum(self._flat.record, FEEDBACK_MARGIN * self._flat.last)

    def to_state(self) -> dict[str, Any]:
        """Return a JSON-serializable snapshot (members and flat view encoded by detectors/ensemble_state.py)."""
        return {
            "detector": self.name,
            "params": asdict(self.params),
            "sensitivity": self.sensitivity,
            "period": self.period,
            "scale": self.scale,
            "stamps": list(self._stamps),
            "held": [list(r) for r in self._held],
            **encode_members(self._state),
            "floors": _enc(self._floors),
            "coarse": self.coarse,
            "bucket": self.bucket,
            "pending": [list(r) for r in self._pending],
            "coarse_state": self._coarse.to_state() if self._coarse is not None else None,
            "flat": encode_flat(self._flat),
            "calm": None if self._calm is None else self._calm.to_json(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "EnsembleDetector":
        """Restore a detector from to_state() output."""
        # States written before the coarse view existed restore without it, as they ran.
        det = cls(RobustParams(**state["params"]), state["sensitivity"], coarse=bool(state.get("coarse", False)))
        flat = state.get("flat")
        if flat is not None:
            det._flat = decode_flat(flat)
        if state.get("calm") is not None:
            det._calm = CalmState.from_json(state["calm"])
        det.period = state["period"]
        det.scale = state["scale"]
        det._stamps = list(state["stamps"])
        det._held = [(float(a), float(b)) for a, b in state["held"]]
        det._state = decode_members(state)
        det._floors = _dec(state["floors"])
        det.bucket = state.get("bucket")
        det._pending = [(float(a), float(b)) for a, b in state.get("pending", [])]
        if state.get("coarse_state") is not None:
            det._coarse = cls.from_state(state["coarse_state"])
        return det
