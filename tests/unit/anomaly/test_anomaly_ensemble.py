"""Ensemble detector: causality, batch/stream equivalence, state, feedback, the log scale."""

import json

import numpy as np
import pytest

from engine.anomaly import registry
from engine.anomaly.detectors.ensemble import COARSE_PARAMS, SCALE_PROBE, EnsembleDetector, log_scale
from engine.anomaly.watches.config import PRODUCTION_THRESHOLDS

STEP = 300.0


def series(n=1200, seed=0, spike_at=None, size=12.0):
    """Daily-seasonal 5-minute series with noise and an optional spike."""
    rng = np.random.default_rng(seed)
    t = 1.7e9 + np.arange(n) * STEP
    y = 100 + 10 * np.sin(2 * np.pi * t / 86400) + rng.normal(0, 1, n)
    if spike_at is not None:
        y[spike_at] += size
    return t, y


def test_spike_scores_high_and_scores_stay_in_unit_interval():
    t, y = series(spike_at=1000, size=20.0)
    s = registry.create("ensemble").score_batch(t, y)
    assert s.shape == y.shape and np.all((s >= 0) & (s <= 1))
    assert s[1000] > 0.56 and s[1000] == s[900:1100].max()


def test_causal_score_at_t_ignores_future_points():
    t, y = series()
    base = EnsembleDetector().score_batch(t, y)
    changed = y.copy()
    changed[700:] += np.random.default_rng(1).normal(0, 50, len(y) - 700)
    other = EnsembleDetector().score_batch(t, changed)
    np.testing.assert_array_equal(base[:700], other[:700])
    assert not np.allclose(base[700:], other[700:])


def test_stream_equals_batch_including_the_scale_probe():
    t, y = series(n=480, spike_at=470, size=20.0)
    batch = EnsembleDetector().score_batch(t, y)
    det = EnsembleDetector()
    head = np.array([det.update(a, b) for a, b in zip(t[:40], y[:40])])  # crosses the probe one row at a time
    mid = det.score_batch(t[40:450], y[40:450])
    tail = np.array([det.update(a, b) for a, b in zip(t[450:], y[450:])])
    np.testing.assert_allclose(np.r_[head, mid, tail], batch, rtol=1e-9, atol=1e-12)
    assert tail[20] > 0.56


@pytest.mark.parametrize("cut", [10, 600])  # before and after the scale is fixed
def test_restored_detector_continues_identically(cut):
    t, y = series(n=900, spike_at=800)
    whole = EnsembleDetector().score_batch(t, y)
    first = EnsembleDetector()
    first.score_batch(t[:cut], y[:cut])
    state = json.loads(json.dumps(first.to_state()))
    restored = registry.restore(state)
    assert isinstance(restored, EnsembleDetector)
    np.testing.assert_allclose(restored.score_batch(t[cut:], y[cut:]), whole[cut:], rtol=1e-9, atol=1e-12)
    assert len(json.dumps(state)) < 120_000


def test_log_scale_is_the_median_magnitude_of_the_probe():
    assert log_scale(np.array([0.0, 2.0, -4.0, 6.0, np.nan])) == 4.0
    assert log_scale(np.zeros(5)) == 1.0
    det = EnsembleDetector()
    det.score_batch(*series(n=SCALE_PROBE))
    assert det.scale is not None and 90 < det.scale < 110


def test_not_an_anomaly_feedback_lowers_score_for_similar_deviations():
    t, y = series(n=2600)
    det = EnsembleDetector()
    det.score_batch(t[:1000], y[:1000])
    plain = registry.restore(det.to_state())
    assert det.update(t[1000], y[1000] + 15) > 0.5
    plain.update(t[1000], y[1000] + 15)
    det.feedback_not_anomaly()
    det.score_batch(t[1001:2500], y[1001:2500])
    plain.score_batch(t[1001:2500], y[1001:2500])
    fed_clone = registry.restore(det.to_state())
    plain_score = plain.update(t[2500], y[2500] + 15)
    assert det.update(t[2500], y[2500] + 15) < 0.5 < plain_score
    assert fed_clone.update(t[2500], y[2500] + 80) > 0.5


def test_evidence_is_on_the_raw_scale():
    t, y = series(n=1001, spike_at=1000, size=30.0)
    det = EnsembleDetector()
    det.score_batch(t, y)
    ev = det.evidence()
    assert ev is not None and ev.value == y[1000]
    assert ev.lower < ev.expected < ev.upper < ev.value and 80 < ev.expected < 120


def test_sensitivity_must_be_positive():
    with pytest.raises(ValueError):
        EnsembleDetector(sensitivity=0)


def test_matrix_form_scores_like_one_detector_per_series():
    from engine.anomaly.detectors.ensemble import score_fresh_matrix

    cols = [series(n=700, seed=s, spike_at=600 + s, size=20.0) for s in range(3)]
    t = cols[0][0]
    y = np.stack([c[1] for c in cols], axis=1)
    y[:, 2] *= 50  # another scale: the log scale is per series
    many = score_fresh_matrix(y, 288)
    for j in range(3):
        np.testing.assert_allclose(many[:, j], EnsembleDetector().score_batch(t, y[:, j]), rtol=1e-9, atol=1e-12)


def hump(n=3600, seed=3, at=3100, rows=36, size=2.0):
    """Daily 5-minute series with a sustained hump (a level raised for three hours) from row `at`."""
    t, y = series(n=n, seed=seed)
    y[at : at + rows] += size
    return t, y


def test_coarse_view_catches_a_sustained_hump_the_row_view_misses():
    t, y = hump()
    det = EnsembleDetector(coarse=True)
    s = det.score_batch(t, y)
    fine = EnsembleDetector(COARSE_PARAMS, coarse=False).score_batch(t, y)  # the same row view alone
    assert det.bucket == 24  # two hours of 5-minute rows
    assert fine[3090:3200].max() < PRODUCTION_THRESHOLDS["ensemble-coarse"] < s[3090:3200].max()
    hits = np.flatnonzero(s != fine)
    assert len(hits) and np.all((hits + 1) % 24 == 0)  # coarse scores land on bucket ends only


def test_nothing_alerts_when_the_first_baseline_forms():
    # Deviations start once a block baseline exists (row 2 * min_blocks * block); the records
    # were empty then, so the first one scored 1 whatever its size: on the coarse view that was
    # an alert five days into every series. The probation now counts from that row.
    t, y = series(n=3600, seed=5)
    s = EnsembleDetector(coarse=True).score_batch(t, y)
    first = 2 * COARSE_PARAMS.min_blocks * COARSE_PARAMS.block  # 60: on rows, and on two-hour buckets
    assert s[: first + 10].max() == 0.0
    assert s[(first + 1) * 24 - 1] < 0.5  # the bucket that formed the coarse baseline ends on this row


def test_coarse_view_streams_restores_and_stays_causal():
    t, y = hump()
    whole = EnsembleDetector(coarse=True).score_batch(t, y)
    det = EnsembleDetector(coarse=True)
    head = det.score_batch(t[:3090], y[:3090])
    state = json.loads(json.dumps(det.to_state()))  # mid-bucket: 3090 = 128 * 24 + 18
    restored = registry.restore(state)
    tail = np.array([restored.update(a, b) for a, b in zip(t[3090:], y[3090:])])
    np.testing.assert_allclose(np.r_[head, tail], whole, rtol=1e-9, atol=1e-12)
    changed = y.copy()
    changed[3120:] += 40.0
    other = EnsembleDetector(coarse=True).score_batch(t, changed)
    np.testing.assert_array_equal(whole[:3120], other[:3120])


def test_matrix_form_includes_the_coarse_view():
    from engine.anomaly.detectors.ensemble import score_fresh_matrix

    cols = [hump(seed=s, at=3000 + 30 * s) for s in range(2)]
    t = cols[0][0]
    y = np.stack([c[1] for c in cols], axis=1)
    many = score_fresh_matrix(y, 288, coarse=True)
    for j in range(2):
        np.testing.assert_allclose(many[:, j], EnsembleDetector(coarse=True).score_batch(t, y[:, j]), rtol=1e-9, atol=1e-12)
    assert np.any(many != score_fresh_matrix(y, 288, coarse=False))


def test_state_from_before_the_coarse_view_restores_without_it():
    t, y = series(n=900)
    det = EnsembleDetector(coarse=False)
    det.score_batch(t[:600], y[:600])
    state = det.to_state()
    for key in ("coarse", "bucket", "pending", "coarse_state"):
        del state[key]
    restored = registry.restore(state)
    assert isinstance(restored, EnsembleDetector) and not restored.coarse
    np.testing.assert_allclose(restored.score_batch(t[600:], y[600:]), det.score_batch(t[600:], y[600:]))
