"""The ensemble's members and views: their parameters, the log-like scale, two-hour buckets, the views' weights."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from engine.anomaly.detectors.robust import RobustParams

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
# With the calm layer the members' scores combine by direction: a row above what the raw
# member expected scores their mean (both scales must agree, or one be very sure), a row below
# it their power mean with exponent DROP_POWER, nearer the surer member. A positive series
# (a rate, a count, bytes, latency) cannot fall below zero, so on the raw scale a drop is
# bounded by the level while busy-hour rises set the records: traffic lost, writes stopped
# or an instance cut off barely move the raw member and are plain on the log scale. Rises
# keep the mean: there the raw member's spikes (tweet counts, heavy tails) are the false
# alarms. Picked on seen data (docs/anomaly.md gives the grid): exponents 3-8 change no NAB
# figure by more than 0.3 and gain on three generated corpora, none losing; 4 is the middle.
DROP_POWER = 4.0


def combine_members(scores: np.ndarray, below: np.ndarray, by_direction: bool) -> np.ndarray:
    """Return the row view's score from its members' (n, 2): the mean, or by direction (DROP_POWER mean below)."""
    mean: np.ndarray = 0.5 * (scores[:, 0] + scores[:, 1])
    if not by_direction:
        return mean
    if len(mean) == 1:  # a watch's usual one-row update: plain floats, no array set-up
        a, b = float(scores[0, 0]), float(scores[0, 1])
        if bool(below[0]):
            return np.array([(0.5 * (a**DROP_POWER + b**DROP_POWER)) ** (1 / DROP_POWER)])
        return mean
    with np.errstate(invalid="ignore"):
        drop = (0.5 * (scores[:, 0] ** DROP_POWER + scores[:, 1] ** DROP_POWER)) ** (1 / DROP_POWER)
    return np.where(below, drop, mean)


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
