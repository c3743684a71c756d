"""Parameters and per-series state of the robust record detector (scored in detectors/robust.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.anomaly.detectors.blocks import BlockState

RECORDS = 3  # spike, level, energy (mean spike deviation over the last `energy` rows)
CHANNELS = RECORDS + 1  # plus range: excess over the all-time range, as a fraction of it
FMAX = float(np.finfo(np.float64).max)
PROBE_ROWS = 16  # raw rows kept before the period is known (the period probe needs 9)


@dataclass(frozen=True)
class RobustParams:
    """Hyperparameters; see tests/benchmarks/bench_nab_loco.py for how they were chosen."""

    block: int = 10
    blocks: int = 30
    level: int = 10
    energy: int = 10
    seasons: int = 3
    record_halflife: float = 1400.0
    refractory_halflife: float = 300.0  # also picked by leave-one-category-out, 4 of 5 folds
    damp: float = 0.7  # picked by leave-one-category-out (bench_nab_loco.py), 4 of 5 folds
    min_history: int = 50
    min_blocks: int = 3
    rel_floor: float = 0.01
    range_c: float = 0.005  # 0 disables the range channel (the v1 detector); leave-one-category-out pick
    range_warm: int = 300  # rows of history before the range channel may score
    # 0: the range channel's scale is range_c alone. Else also the largest range excess of the
    # last rows, forgotten with this half-life in rows: a series climbing to a new extreme row
    # after row (a trend, a burst's successive highs) scores its first break, not every step.
    range_halflife: float = 0.0

    @property
    def quiet(self) -> int:
        """Return the rows before anything may score: the probation counted from the first baseline.

        A block baseline needs min_blocks finished blocks with a centre, and a centre needs
        min_blocks blocks before it, so deviations start at row 2 * min_blocks * block; the
        records start empty there, and the first deviation would beat them whatever its size.
        """
        return 2 * self.min_blocks * self.block + self.min_history

    def live(self, seen: np.ndarray | int, period: int | None) -> np.ndarray:
        """Return whether rows that are the `seen`-th of their series may score.

        Besides the first quiet rows, the seasonal channel gets its own probation when it
        joins after them: its baseline forms a day in (the first residual block, then as for
        the first baseline), and its first deviations would beat records that never saw one.
        A channel that joins during the quiet rows (hourly rows, or two-hour buckets) has
        been learnt by then.
        """
        ok = np.asarray(seen) > self.quiet
        join = self.block * (period // self.block + 2 * self.min_blocks) if period else 0
        if join >= self.quiet:
            ok = ok & ~((np.asarray(seen) > join) & (np.asarray(seen) <= join + self.min_history))
        return ok

    def tail(self, period: int | None) -> int:
        """Return how many past raw (and level) values the features need."""
        return max(self.seasons * period if period else 0, self.level - 1, PROBE_ROWS)


@dataclass
class State:
    """Per-series recursive state between batches (one column per series)."""

    raw: np.ndarray  # (tail, m) last raw values, NaN before the series started
    lev: np.ndarray  # (tail, m) last level values
    chans: list[BlockState]  # spike, spike-seasonal, level, level-seasonal
    dev_tail: np.ndarray  # (energy - 1, m) last spike deviations
    record: np.ndarray  # (CHANNELS, m) decayed max deviation
    refractory: np.ndarray  # (m,) decayed max of undamped scores
    seen: int = 0
    bounds: np.ndarray | None = None  # (2, m) max and min of every value seen, NaN before
    range_record: np.ndarray | None = None  # (m,) decayed max range excess (with range_halflife), None before

    @classmethod
    def fresh(cls, m: int, p: RobustParams, period: int | None = None) -> "State":
        """Return the state of series that have seen nothing."""
        tail = np.full((p.tail(period), m), np.nan)
        chans = [BlockState.fresh(p.blocks, m) for _ in range(4)]
        dev_tail = np.zeros((p.energy - 1, m))
        bounds = np.full((2, m), np.nan)
        return cls(tail, tail.copy(), chans, dev_tail, np.zeros((RECORDS, m)), np.zeros(m), 0, bounds)


@dataclass
class Scored:
    """Scores of a batch plus what the spike channel expected at each row."""

    scores: np.ndarray
    expected: np.ndarray
    scale: np.ndarray
    deviation: np.ndarray  # (CHANNELS, n, m)
    record: np.ndarray  # (CHANNELS, n, m) record level in force at each row
    state: State = field(repr=False, default=None)  # type: ignore[assignment]


def _resize(tail: np.ndarray, rows: int) -> np.ndarray:
    """Keep the last `rows` rows, padding older ones with NaN."""
    if len(tail) >= rows:
        return tail[len(tail) - rows :]
    return np.vstack([np.full((rows - len(tail), tail.shape[1]), np.nan), tail])


# (deviation, expected, scale, plain state, seasonal state) of one channel
RowChannel = tuple[np.ndarray, np.ndarray, np.ndarray, BlockState, BlockState]
