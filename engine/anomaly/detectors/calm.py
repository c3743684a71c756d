"""Calm layer (`ensemble-calm`): fewer false alarms on server metrics, causal, on the emitted scores.

Two rules act on the detector's final score stream and look only at earlier rows:

- **Warm-up confidence ramp.** A young series' baselines and records are thin: the
  seasonal channel starts from a one-day baseline and every record is young, so ordinary
  daily moves beat them (on generated server metrics most false positives fell in the
  first three days). Scores are scaled by a confidence that grows linearly with the series'
  age in wall-clock time, from RAMP_FROM at the first row to 1 after RAMP_SECONDS.
- **Phase recurrence.** Scheduled machinery (nightly log rotation, a batch job, a backup)
  moves a series at the same time every day; each time its move can beat the records.
  The layer keeps, per half-hour bin of the UTC day, each of the last PHASE_DAYS days'
  largest score; a bin (with its neighbours, for jitter) counts as a recurring spot when
  at least PHASE_RECUR earlier days scored at or above PHASE_ALARM there. A score at such a
  spot that does not beat the recurring one by PHASE_BEAT is damped by PHASE_DAMP; a move
  clearly larger than the usual one still alerts.

The memory uses the undamped scores, so damping never feeds on itself. State: 8 x 48 floats.
The constants were chosen on seen data (NAB public leave-one-category-out and three
generated dev corpora; docs/anomaly.md gives the grid).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

DAY_S = 86400.0
RAMP_SECONDS = 3 * DAY_S
RAMP_FROM = 0.5
PHASE_BIN_S = 1800.0
PHASE_BINS = int(DAY_S // PHASE_BIN_S)
PHASE_DAYS = 7
PHASE_NEIGHBOURS = 1
PHASE_RECUR = 2
PHASE_ALARM = 0.6
PHASE_BEAT = 1.2
PHASE_DAMP = 0.3


@dataclass
class CalmState:
    """First stamp, current UTC day, today's largest score per bin, and the last days' (row j: j + 1 days ago)."""

    t0: float | None
    day: int | None
    today: np.ndarray
    past: np.ndarray
    ref: np.ndarray | None = field(default=None, compare=False)  # recurring(past), cached for the day

    @classmethod
    def fresh(cls) -> "CalmState":
        """Return the state of a series with no rows yet."""
        return cls(None, None, np.zeros(PHASE_BINS), np.zeros((PHASE_DAYS, PHASE_BINS)))

    @classmethod
    def learned(cls) -> "CalmState":
        """Return the layer for a detector that has already learned its series: no warm-up ramp left."""
        return cls(0.0, None, np.zeros(PHASE_BINS), np.zeros((PHASE_DAYS, PHASE_BINS)))

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-serializable snapshot (scores rounded to 4 places: they only gate a comparison)."""
        return {"t0": self.t0, "day": self.day, "today": np.round(self.today, 4).tolist(),
                "past": np.round(self.past, 4).tolist()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "CalmState":
        """Restore from to_json() output."""
        return cls(d["t0"], d["day"], np.asarray(d["today"], dtype=np.float64), np.asarray(d["past"], dtype=np.float64))


def recurring(past: np.ndarray) -> np.ndarray:
    """Return per bin the PHASE_RECUR-th largest alarm-worthy score of the past days near that bin (0: not recurring)."""
    m = np.where(past >= PHASE_ALARM, past, 0.0)
    near = m.copy()
    for j in range(1, PHASE_NEIGHBOURS + 1):
        near = np.maximum(near, np.maximum(np.roll(m, j, axis=1), np.roll(m, -j, axis=1)))
    return np.asarray(np.sort(near, axis=0)[-PHASE_RECUR])


def _advance(st: CalmState, day: int) -> None:
    """Move the state to a later UTC day: today joins the past days, days beyond PHASE_DAYS drop."""
    assert st.day is not None
    shift = day - st.day
    past = np.zeros_like(st.past)
    if shift <= PHASE_DAYS:
        past[shift - 1] = st.today
        past[shift:] = st.past[: PHASE_DAYS - shift]
    st.past, st.today, st.day, st.ref = past, np.zeros(PHASE_BINS), day, None


def _calm_one(t: float, x: float, st: CalmState) -> float:
    """Return one row's damped score, updating the state (as calm_scores on a one-row batch)."""
    assert st.t0 is not None
    d = int(t // DAY_S)
    if st.day is None:
        st.day = d
    elif d > st.day:
        _advance(st, d)
    b = min(max(int((t % DAY_S) // PHASE_BIN_S), 0), PHASE_BINS - 1)
    if st.ref is None:
        st.ref = recurring(st.past)
    ref = float(st.ref[b])
    if x == x:  # NaN never enters the memory (as nan_to_num's 0 would not raise it)
        st.today[b] = max(float(st.today[b]), x)
    if ref > 0 and x < PHASE_BEAT * ref:
        x *= 1 - PHASE_DAMP
    return x * min(max(RAMP_FROM + (1 - RAMP_FROM) * (t - st.t0) / RAMP_SECONDS, RAMP_FROM), 1.0)


def calm_scores(ts: np.ndarray, scores: np.ndarray, st: CalmState) -> np.ndarray:
    """Return the damped scores of consecutive rows (stamps in epoch seconds), updating the state in place."""
    n = len(scores)
    out = np.asarray(scores, dtype=np.float64).copy()
    if n == 0:
        return out
    if st.t0 is None:
        st.t0 = float(ts[0])
    if n == 1:  # a watch's usual update: the same rule on plain floats, without array set-up
        return np.array([_calm_one(float(ts[0]), float(out[0]), st)])
    days = (ts // DAY_S).astype(np.int64)
    # A stamp earlier than the current day (out of order) counts as today: the memory never goes back.
    days = np.maximum.accumulate(np.maximum(days, st.day if st.day is not None else days[0]))
    bins = np.clip(((ts % DAY_S) // PHASE_BIN_S).astype(np.int64), 0, PHASE_BINS - 1)
    i = 0
    while i < n:
        d = int(days[i])
        change = np.nonzero(days[i:] != d)[0]
        j = i + int(change[0]) if len(change) else n
        if st.day is None:
            st.day = d
        elif d > st.day:
            _advance(st, d)
        if st.ref is None:
            st.ref = recurring(st.past)
        ref = st.ref[bins[i:j]]
        x = out[i:j]
        np.maximum.at(st.today, bins[i:j], np.nan_to_num(x))
        out[i:j] = np.where((ref > 0) & (x < PHASE_BEAT * ref), x * (1 - PHASE_DAMP), x)
        i = j
    age = (np.asarray(ts, dtype=np.float64) - st.t0) / RAMP_SECONDS
    return np.asarray(out * np.clip(RAMP_FROM + (1 - RAMP_FROM) * age, RAMP_FROM, 1.0))
