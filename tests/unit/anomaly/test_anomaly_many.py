"""Many fresh series in one matrix call (what a watch's first run does): the one-detector scores and states, exactly."""

import json

import numpy as np
import pytest

from engine.anomaly import registry
from engine.anomaly.detectors.ensemble_many import batchable, score_fresh_many
from engine.anomaly.watches.config import WatchConfig
from engine.anomaly.watches import scoring
from engine.anomaly.watches.scoring import SeriesMemory, score_all, score_new


def varied(n: int, step: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return stamps (n,) and (n, 8) series of different kinds: daily waves, shifts, spikes, NaN gaps, flat, integers."""
    rng = np.random.default_rng(seed)
    t = 1.7e9 + 37.0 + np.arange(n) * step
    day = np.sin(2 * np.pi * t / 86400)
    cols = [
        100 + 10 * day + rng.normal(0, 2, n),                                 # a daily wave
        np.exp(rng.normal(3, 1, n)),                                          # heavy tailed, positive
        np.where(np.arange(n) > n // 2, 50.0, 5.0) + rng.normal(0, 1, n),     # a level shift
        rng.poisson(3, n).astype(float),                                      # integer counts, zeros
        np.full(n, 7.0),                                                      # flat
        -20 + 3 * day + rng.normal(0, 0.5, n),                                # negative
        1e6 * (1 + 0.1 * day) + rng.normal(0, 1e3, n),                        # another scale
        100 + rng.normal(0, 1, n),                                            # NaN gaps and spikes below
    ]
    y = np.stack(cols, axis=1)
    y[rng.integers(0, n, n // 40), 7] = np.nan
    y[n // 3 : n // 3 + 25, 7] = np.nan  # a gap longer than a block
    y[rng.integers(n // 4, n, 6), 0] += 60
    y[rng.integers(n // 4, n, 6), 1] *= 20
    return t, y


CASES = [("ensemble-calm", 60.0, 1440), ("ensemble-calm", 60.0, 3 * 1440 + 77), ("ensemble-coarse", 300.0, 2100),
         ("ensemble", 60.0, 1500), ("ensemble-calm", 3600.0, 400), ("ensemble-calm", 60.0, 33)]


@pytest.mark.parametrize("name,step,n", CASES)
def test_many_scores_and_persists_exactly_as_one_detector_per_series(name, step, n):
    t, y = varied(n, step)
    alone = [registry.create(name) for _ in range(y.shape[1])]
    want = np.stack([d.score_batch(t, y[:, j]) for j, d in enumerate(alone)], axis=1)
    many = [registry.create(name) for _ in range(y.shape[1])]
    assert batchable(many)
    got = score_fresh_many(many, t, y)
    np.testing.assert_array_equal(got, want)  # bit for bit, not within a tolerance
    for a, b in zip(alone, many):
        assert json.dumps(a.to_state()) == json.dumps(b.to_state())
        assert repr(a.evidence()) == repr(b.evidence())  # NaN bounds compare by their text
    # Each detector then streams on as its twin does, restored or not.
    t2, y2 = varied(n + 300, step, seed=1)
    t2 = t2 + (t[-1] - t2[0] + step)
    for j, (a, b) in enumerate(zip(alone, many)):
        restored = registry.restore(json.loads(json.dumps(b.to_state())))
        twin = registry.restore(json.loads(json.dumps(a.to_state())))
        ra = [a.update(x, v) for x, v in zip(t2[-300:], y2[-300:, j])]
        rb = [b.update(x, v) for x, v in zip(t2[-300:], y2[-300:, j])]
        np.testing.assert_array_equal(ra, rb)
        np.testing.assert_array_equal(restored.score_batch(t2[-300:], y2[-300:, j]),
                                      twin.score_batch(t2[-300:], y2[-300:, j]))


def test_many_is_causal():
    t, y = varied(2000, 60.0, seed=3)
    base = score_fresh_many([registry.create("ensemble-calm") for _ in range(8)], t, y)
    changed = y.copy()
    changed[1500:] += np.random.default_rng(4).normal(0, 50, (500, 8))
    other = score_fresh_many([registry.create("ensemble-calm") for _ in range(8)], t, changed)
    np.testing.assert_array_equal(base[:1500], other[:1500])
    assert not np.array_equal(base[1500:], other[1500:])


def test_detectors_that_are_not_fresh_or_not_alike_are_scored_one_by_one():
    t, y = varied(600, 60.0)
    used = registry.create("ensemble-calm")
    used.score_batch(t[:50], y[:50, 0])
    assert not batchable([used, registry.create("ensemble-calm")])
    assert not batchable([registry.create("ensemble-calm"), registry.create("ensemble-coarse")])
    assert not batchable([registry.create("ensemble-calm", 2.0), registry.create("ensemble-calm")])
    assert not batchable([registry.create("ensemble-flat"), registry.create("ensemble-flat")])
    assert not batchable([registry.create("robust"), registry.create("robust")])
    dets = [registry.create("ensemble-flat"), registry.create("robust")]
    want = np.stack([registry.create("ensemble-flat").score_batch(t, y[:, 0]),
                     registry.create("robust").score_batch(t, y[:, 1])], axis=1)
    np.testing.assert_array_equal(score_fresh_many(dets, t, y[:, :2]), want)


@pytest.mark.parametrize("cells", [None, 3 * 2 * 1440])  # one matrix call, or two of 3 series each
def test_a_watch_run_decides_as_series_by_series(cells, monkeypatch):
    """score_all (new series batched by shared stamps) gives score_new's verdicts and memories."""
    if cells is not None:
        monkeypatch.setattr(scoring, "MANY_CELLS", cells)
    watch = WatchConfig(name="w", query="up", warmup_points=100)
    t, y = varied(2 * 1440, 60.0, seed=7)
    y[-10, 5] += 100  # an alert in the first run (an older one would have resolved by its end)
    held = registry.create(watch.detector)
    held.score_batch(t[:1000], y[:1000, 2])
    items = []
    for j in range(y.shape[1]):
        mem = SeriesMemory()
        ts, vs = t, y[:, j]
        if j == 2:  # a series the watch already knows
            mem = SeriesMemory(detector_state=held.to_state(), last_ts=float(t[999]), scored_points=1000)
        if j == 3:  # a series with other stamps (missing points)
            ts, vs = np.delete(t, [5, 900]), np.delete(y[:, j], [5, 900])
        items.append((mem, ts, vs))
    together = score_all(watch, items)
    alone = [score_new(watch, mem, ts, vs) for mem, ts, vs in items]
    assert any(v.change == "fire" for v in alone)
    for a, b in zip(alone, together):
        assert (a.change, a.reason, a.last_score, a.new_points) == (b.change, b.reason, b.last_score, b.new_points)
        assert json.dumps(a.memory.__dict__, sort_keys=True) == json.dumps(b.memory.__dict__, sort_keys=True)
