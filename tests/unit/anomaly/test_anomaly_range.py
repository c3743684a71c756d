"""Range (novelty) channel: never-seen levels alert, resumable, feedback, old states."""

import json

import numpy as np

from engine.anomaly import registry
from engine.anomaly.detectors.record import RobustRecordDetector
from engine.anomaly.detectors.robust import _range_excess

STEP = 300.0


def noisy(n, seed=0):
    """Flat noisy 5-minute series (no daily pattern)."""
    rng = np.random.default_rng(seed)
    return 1.7e9 + np.arange(n) * STEP, 100 + rng.normal(0, 1, n)


def test_range_excess_is_relative_to_all_earlier_rows_and_resumable():
    x = np.array([[1.0], [3.0], [2.0], [4.0], [0.0]])
    e, bounds = _range_excess(x, None)
    # Row 3 leaves [1, 3] by 1 (half the width); row 4 leaves [1, 4] by 1 (a third).
    # (Row 1 leaves a zero-width range: huge, which is why the channel waits range_warm rows.)
    np.testing.assert_allclose(e[[0, 2, 3, 4], 0], [0.0, 0.0, 0.5, 1 / 3])
    assert e[1, 0] > 1e6
    np.testing.assert_allclose(bounds[:, 0], [4.0, 0.0])
    head, b = _range_excess(x[:2], None)
    tail, b2 = _range_excess(x[2:], b)
    np.testing.assert_allclose(np.r_[head[:, 0], tail[:, 0]], e[:, 0])
    np.testing.assert_allclose(b2, bounds)


def test_slow_climb_to_a_never_seen_level_alerts_only_with_the_range_channel():
    t, y = noisy(2400)
    # Climbs gently (no spike, no sudden shift) past everything seen, then stays.
    y[1500:] += np.minimum(np.arange(900) * 0.02, 8.0)
    new = RobustRecordDetector().score_batch(t, y)
    old = registry.create("robust-v1").score_batch(t, y)
    assert new[1500:].max() > 0.6 > old[1500:].max()
    # Plain noise makes new extremes too (about 2 ln n of them): a couple more alerts than v1.
    assert (new[:1500] > 0.56).sum() <= (old[:1500] > 0.56).sum() + 2


def test_not_an_anomaly_feedback_covers_the_range_channel():
    t, y = noisy(3000)
    det = RobustRecordDetector()
    det.score_batch(t[:1000], y[:1000])
    top, bottom = y[:1000].max(), y[:1000].min()
    jump = 0.1 * (top - bottom)
    assert det.update(t[1000], top + jump) > 0.5
    det.feedback_not_anomaly()
    det.score_batch(t[1001:2500], np.clip(y[1001:2500], bottom, top))
    # A similar step past the (now wider) range no longer alerts; a much larger one does.
    clone = registry.restore(det.to_state())
    assert det.update(t[2500], top + 2.05 * jump) < 0.5
    assert clone.update(t[2500], top + 5 * jump) > 0.5


def test_state_from_before_the_range_channel_restores():
    t, y = noisy(800)
    det = RobustRecordDetector()
    det.score_batch(t[:600], y[:600])
    state = json.loads(json.dumps(det.to_state()))
    state.pop("bounds")
    state["floors"] = state["floors"][:3]
    restored = registry.restore(state)
    scores = restored.score_batch(t[600:], y[600:])
    assert np.all((scores >= 0) & (scores <= 1))
    assert len(restored.to_state()["floors"]) == 4
