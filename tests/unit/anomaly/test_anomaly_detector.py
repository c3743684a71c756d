"""Robust record detector: causality, batch/stream equivalence, state, feedback."""

import json

import numpy as np
import pytest

from engine.anomaly import registry
from engine.anomaly.detectors.record import RobustRecordDetector
from engine.errors import InvalidInput

STEP = 300.0


def series(n=1200, seed=0, spike_at=None, size=12.0):
    """Daily-seasonal 5-minute series with noise and an optional spike."""
    rng = np.random.default_rng(seed)
    t = 1.7e9 + np.arange(n) * STEP
    y = 100 + 10 * np.sin(2 * np.pi * t / 86400) + rng.normal(0, 1, n)
    if spike_at is not None:
        y[spike_at] += size
    return t, y


def test_scores_are_in_unit_interval_and_spike_scores_high():
    t, y = series(spike_at=1000)
    s = RobustRecordDetector().score_batch(t, y)
    assert s.shape == y.shape and np.all((s >= 0) & (s <= 1))
    assert s[1000] > 0.5 and s[1000] == s[900:1100].max()


def test_causal_score_at_t_ignores_future_points():
    t, y = series()
    base = RobustRecordDetector().score_batch(t, y)
    changed = y.copy()
    changed[700:] += np.random.default_rng(1).normal(0, 50, len(y) - 700)
    other = RobustRecordDetector().score_batch(t, changed)
    np.testing.assert_array_equal(base[:700], other[:700])
    assert not np.allclose(base[700:], other[700:])


def test_stream_equals_batch():
    t, y = series(n=480, spike_at=470)
    batch = RobustRecordDetector().score_batch(t, y)
    det = RobustRecordDetector()
    head = det.score_batch(t[:450], y[:450])
    tail = np.array([det.update(a, b) for a, b in zip(t[450:], y[450:])])
    np.testing.assert_allclose(np.r_[head, tail], batch, rtol=1e-9, atol=1e-12)
    assert tail[20] > 0.5  # the spike at 470, scored one point at a time


def test_restored_detector_continues_identically():
    t, y = series(n=900, spike_at=800)
    whole = RobustRecordDetector().score_batch(t, y)
    first = RobustRecordDetector()
    first.score_batch(t[:600], y[:600])
    state = json.loads(json.dumps(first.to_state()))
    restored = registry.restore(state)
    np.testing.assert_allclose(restored.score_batch(t[600:], y[600:]), whole[600:], rtol=1e-9, atol=1e-12)
    assert len(state["raw"]["data"]) == restored.params.tail(restored.period)
    assert len(json.dumps(state)) < 60_000  # bounded: tails plus block summaries


def test_not_an_anomaly_feedback_lowers_score_for_similar_deviations():
    t, y = series(n=2600)
    det = RobustRecordDetector()
    det.score_batch(t[:1000], y[:1000])
    plain = registry.restore(det.to_state())
    assert det.update(t[1000], y[1000] + 12) > 0.5
    plain.update(t[1000], y[1000] + 12)
    det.feedback_not_anomaly()
    # Long after, when the record of that spike has faded, the same deviation recurs.
    det.score_batch(t[1001:2500], y[1001:2500])
    plain.score_batch(t[1001:2500], y[1001:2500])
    fed_clone = registry.restore(det.to_state())
    plain_score = plain.update(t[2500], y[2500] + 12)
    assert plain_score > 0.5
    assert det.update(t[2500], y[2500] + 12) < 0.5 < plain_score
    # A much larger deviation still alerts after the feedback.
    assert fed_clone.update(t[2500], y[2500] + 80) > 0.5


def test_sensitivity_raises_scores():
    t, y = series(spike_at=1000, size=6.0)
    low = RobustRecordDetector(sensitivity=0.5).score_batch(t, y)[1000]
    high = RobustRecordDetector(sensitivity=2.0).score_batch(t, y)[1000]
    assert high > low
    with pytest.raises(ValueError):
        RobustRecordDetector(sensitivity=0)


def test_evidence_brackets_normal_values_not_the_spike():
    t, y = series(n=1001, spike_at=1000, size=30.0)
    det = RobustRecordDetector()
    det.score_batch(t, y)
    ev = det.evidence()
    assert ev is not None and ev.value == y[1000]
    assert ev.lower < ev.expected < ev.upper < ev.value


def test_daily_period_is_inferred_and_seasonal_break_is_caught():
    t, y = series(n=288 * 5)
    broken = y.copy()
    broken[288 * 4 + 60 : 288 * 4 + 120] = 100.0  # pattern goes flat, values stay in range
    det = RobustRecordDetector()
    s = det.score_batch(t, broken)
    assert det.period == 288
    plain = registry.create("robust-plain").score_batch(t, broken)
    assert s[288 * 4 + 60 : 288 * 4 + 120].max() > plain[288 * 4 + 60 : 288 * 4 + 120].max()


def test_registry_rejects_unknown_names():
    assert "robust" in registry.names()
    with pytest.raises(InvalidInput):
        registry.create("nope")


def test_pushed_tails_equal_a_copy_and_older_states_never_overwrite_newer_ones():
    from engine.anomaly.detectors.robust_row import _push

    rng = np.random.default_rng(0)
    tail = rng.normal(size=(8, 2))
    expect = tail.copy()
    for _ in range(30):  # crosses several buffer refills
        row = rng.normal(size=2)
        tail, expect = _push(tail, row), np.vstack([expect, row])[1:]
        np.testing.assert_array_equal(tail, expect)
    older = tail
    newer = _push(older, np.array([1.0, 2.0]))
    branch = _push(older, np.array([3.0, 4.0]))  # an older state pushed again must copy
    np.testing.assert_array_equal(newer[-1], [1.0, 2.0])
    np.testing.assert_array_equal(branch[-1], [3.0, 4.0])
    np.testing.assert_array_equal(newer[:-1], branch[:-1])


def test_seasonal_channel_has_its_own_probation_in_batch_and_stream():
    from engine.anomaly.detectors.robust import RobustParams

    p = RobustParams()
    # 5-minute rows: the seasonal baseline forms at row 340, after the first quiet rows (110).
    live = p.live(np.arange(1, 500), 288)
    assert not live[:110].any() and live[110:340].all() and not live[340:390].any() and live[390:].all()
    assert p.live(np.arange(1, 200), 24)[110:].all()  # hourly rows: it joins during the quiet rows
    t, y = series(n=480, spike_at=360)
    batch = RobustRecordDetector().score_batch(t, y)
    det = RobustRecordDetector()
    head = det.score_batch(t[:300], y[:300])
    tail = np.array([det.update(a, b) for a, b in zip(t[300:], y[300:])])
    np.testing.assert_allclose(np.r_[head, tail], batch, rtol=1e-9, atol=1e-12)
    assert batch[340:390].max() == 0.0 and batch[390:].max() > 0.0
