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
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

import numpy as np

from engine.anomaly.detectors.blocks import BlockState
from engine.anomaly.detectors.calm import CalmState, calm_scores
from engine.anomaly.detectors.features import period_from_step
from engine.anomaly.detectors.record import FEEDBACK_MARGIN, PERIOD_PROBE, RecordViews, _dec, _enc
from engine.anomaly.detectors.robust import CHANNELS, RobustParams, State, score_matrix
from engine.anomaly.detectors.spread import SpreadState, score_spread

MEMBERS = 2  # raw, asinh
SCALE_PROBE = 32  # rows that fix the log scale; below RobustParams.min_history, so no score is lost
# With the coarse view (the `ensemble-coarse` detector): five days of the same phase make the
# seasonal baseline robust to one odd day (three by default).
COARSE_PARAMS = RobustParams(seasons=5)
COARSE_SECONDS = 7200.0  # the coarse view's bucket: two hours of rows
# The coarse view's scores count 10% more than the row view's (capped at 1): a two-hour mean
# that beats its record is surer than one row that does, as its noise is averaged out.
# Picked among 1.0-1.3 on NAB (1.1 in every leave-one-category-out fold, standard profile);
# docs/anomaly.md gives the grid and the generated dev corpus' figures.
COARSE_WEIGHT = 1.1
# The flatline view (`ensemble-flat`, opt in: detectors/spread.py) scores blocks of the row
# view's size against the row view's `blocks` blocks, its record forgetting over
# SPREAD_HALFLIFE blocks; its score counts 0.8 (an alert needs its drop to be three times
# its record at the 0.60 threshold). Both picked on dev data (docs/anomaly.md): on NAB's labels
# every weight costs a little, as the flat stretches it finds there (tweet collection
# outages) are not labelled, so it is not the default.
SPREAD_WEIGHT = 0.8
SPREAD_HALFLIFE = 1400.0
# With the calm layer (`ensemble-calm`) the range channel also remembers its recent breaks: a
# new extreme must beat the excess of the breaks of the last rows, forgotten by half every
# RANGE_HALFLIFE rows. On server metrics most false alarms left after the calm layer were
# range breaks by 1-7% of the range on a series climbing to a new extreme row after row (a
# filling disk, a growing queue at peak, a heavy tail's successive highs); the first break after
# a quiet spell scores as before. Picked on seen data (docs/anomaly.md gives the grid): 20-30
# rows change no NAB alarm that counts, 40 and more lose a NAB detection.
RANGE_HALFLIFE = 30.0


def default_params(coarse: bool, calm: bool) -> RobustParams:
    """Return a variant's member parameters: five days of seasons with the coarse view, the range memory with calm."""
    p = COARSE_PARAMS if coarse else RobustParams()
    return replace(p, range_halflife=RANGE_HALFLIFE) if calm else p


def coarse_rows(step_seconds: float) -> int | None:
    """Return rows per coarse bucket for this sampling step, None when a bucket would be one row."""
    if not np.isfinite(step_seconds) or step_seconds <= 0:
        return None
    k = int(round(COARSE_SECONDS / step_seconds))
    return k if k >= 2 else None


def bucket_means(values: np.ndarray, k: int) -> np.ndarray:
    """Return the NaN-ignoring mean of each run of k rows (values (n*k, ...) -> (n, ...)); NaN if all are."""
    b = values.reshape(len(values) // k, k, *values.shape[1:])
    ok = np.isfinite(b)
    cnt = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, np.where(ok, b, 0.0).sum(axis=1) / np.maximum(cnt, 1), np.nan)


def log_scale(values: np.ndarray) -> float:
    """Return the asinh scale: the median magnitude of the nonzero probe values (1 if none)."""
    mag = np.abs(values[np.isfinite(values) & (values != 0)])
    return float(np.median(mag)) if len(mag) else 1.0


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
        return np.asarray(scored.scores.mean(axis=1))

    def feedback_not_anomaly(self) -> None:
        """Raise the record floors of both views so deviations like the last ones stop alerting."""
        super().feedback_not_anomaly()
        if self._coarse is not None:
            self._coarse.feedback_not_anomaly()
        if self._flat is not None and self._flat.last is not None:
            self._flat.record = np.maximum(self._flat.record, FEEDBACK_MARGIN * self._flat.last)

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
            "range_record": None if s.range_record is None else _enc(s.range_record),
            "floors": _enc(self._floors),
            "coarse": self.coarse,
            "bucket": self.bucket,
            "pending": [list(r) for r in self._pending],
            "coarse_state": self._coarse.to_state() if self._coarse is not None else None,
            "flat": None if self._flat is None else {
                "partial": _enc(self._flat.partial), "past": _enc(self._flat.past), "record": _enc(self._flat.record),
                "closed": self._flat.closed, "last": None if self._flat.last is None else _enc(self._flat.last),
            },
            "calm": None if self._calm is None else self._calm.to_json(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "EnsembleDetector":
        """Restore a detector from to_state() output."""
        # States written before the coarse view existed restore without it, as they ran.
        det = cls(RobustParams(**state["params"]), state["sensitivity"], coarse=bool(state.get("coarse", False)))
        flat = state.get("flat")
        if flat is not None:
            det._flat = SpreadState(_dec(flat["partial"]), _dec(flat["past"]), _dec(flat["record"]), int(flat["closed"]),
                                    None if flat["last"] is None else _dec(flat["last"]))
        if state.get("calm") is not None:
            det._calm = CalmState.from_json(state["calm"])
        det.period = state["period"]
        det.scale = state["scale"]
        det._stamps = list(state["stamps"])
        det._held = [(float(a), float(b)) for a, b in state["held"]]
        det._state = State(
            _dec(state["raw"]), _dec(state["lev"]),
            [BlockState(_dec(c["partial"]), _dec(c["stats"])) for c in state["chans"]],
            _dec(state["dev_tail"]), _dec(state["record"]), _dec(state["refractory"]),
            int(state["seen"]), _dec(state["bounds"]),
            None if state.get("range_record") is None else _dec(state["range_record"]),
        )
        det._floors = _dec(state["floors"])
        det.bucket = state.get("bucket")
        det._pending = [(float(a), float(b)) for a, b in state.get("pending", [])]
        if state.get("coarse_state") is not None:
            det._coarse = cls.from_state(state["coarse_state"])
        return det


def score_fresh_matrix(
    values: np.ndarray, period: int | None, params: RobustParams | None = None,
    step: float | None = None, coarse: bool = False, flat: bool = False, stamps: np.ndarray | None = None,
) -> np.ndarray:
    """Score m fresh series at once (values (n, m), n >= SCALE_PROBE): same scores as one detector each.

    step is the sampling step in seconds (default: a day / period); without either there is no coarse view.
    With stamps (n epoch seconds, shared by the columns) the calm layer applies, as in `ensemble-calm`.
    """
    p = params or default_params(coarse, stamps is not None)
    n, m = values.shape
    if n < SCALE_PROBE:
        raise ValueError(f"need at least {SCALE_PROBE} rows to fix the log scale")
    scales = np.array([log_scale(values[:SCALE_PROBE, j]) for j in range(m)])
    x = np.hstack([values, np.arcsinh(values / scales)])  # members side by side: raw block, asinh block
    scored = score_matrix(x, State.fresh(2 * m, p, period), period, p)
    out = np.asarray(0.5 * (scored.scores[:, :m] + scored.scores[:, m:]))
    step = step if step is not None else (86400.0 / period if period else None)
    k = coarse_rows(step) if coarse and step and n >= PERIOD_PROBE else None
    if step and k is not None and n // k >= SCALE_PROBE:
        done = n // k
        cperiod = period_from_step(k * step)  # what the coarse detector infers from its bucket stamps
        means = bucket_means(values[: done * k], k)
        coarse_scores = np.minimum(1.0, COARSE_WEIGHT * score_fresh_matrix(means, cperiod, p, coarse=False))
        out[k - 1 : done * k : k] = np.maximum(out[k - 1 : done * k : k], coarse_scores)
    if flat:
        spread, _ = score_spread(values, SpreadState.fresh(m, p.blocks), p.block, SPREAD_HALFLIFE)
        out = np.maximum(out, SPREAD_WEIGHT * spread)
    if stamps is not None:
        ts = np.asarray(stamps, dtype=np.float64)
        out = np.stack([calm_scores(ts, out[:, j], CalmState.fresh()) for j in range(m)], axis=1)
    return out
