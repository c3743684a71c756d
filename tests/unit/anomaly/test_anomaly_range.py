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


def _climb(n=1200, seed=1):
    """Noise inside a range set early, then a series stepping to a new high every few rows (a fill, a peak growing)."""
    t, y = noisy(n, seed)
    y = np.clip(y, 97.5, 102.5)
    y[5], y[6] = 103.0, 97.0
    steps = np.arange(800, 900, 4)
    for k, at in enumerate(steps):
        y[at] = y[:800].max() + 0.3 * (k + 1)
    return t, y, steps


def test_range_memory_scores_the_first_break_and_damps_the_climb_after_it():
    from dataclasses import replace

    from engine.anomaly.detectors.robust import RobustParams, State, score_matrix

    t, y, steps = _climb()
    p = RobustParams(seasons=1)
    mem = replace(p, range_halflife=30.0)
    run = {q: score_matrix(y[:, None], State.fresh(1, q), None, q) for q in (p, mem)}
    ratio = {q: r.deviation[3, :, 0] / (r.deviation[3, :, 0] + r.record[3, :, 0]) for q, r in run.items()}
    first = steps[0]
    assert ratio[mem][first] == ratio[p][first] > 0.9  # the first new extreme scores as before
    later = steps[1:]
    assert np.all(ratio[mem][later] <= ratio[p][later]) and np.median(ratio[mem][later]) < 0.6 < np.median(ratio[p][later])
    # Row by row (the watches' path) gives the same scores and memory as one batch.
    st = State.fresh(1, mem)
    rows = []
    for v in y:
        r = score_matrix(np.array([[v]]), st, None, mem)
        st = r.state
        rows.append(r.scores[0, 0])
    np.testing.assert_allclose(rows, run[mem].scores[:, 0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(st.range_record, run[mem].state.range_record, rtol=1e-9)


def test_calm_detector_carries_its_range_memory_through_a_restore():
    t, y, steps = _climb()
    whole = registry.create("ensemble-calm").score_batch(t, y)
    det = registry.create("ensemble-calm")
    det.score_batch(t[:830], y[:830])
    assert det.to_state()["range_record"] is not None
    restored = registry.restore(json.loads(json.dumps(det.to_state())))
    tail = restored.score_batch(t[830:], y[830:])
    np.testing.assert_allclose(tail, whole[830:], rtol=1e-9, atol=1e-4)  # the calm memory rounds to 4 places
    coarse = registry.create("ensemble-coarse")
    assert coarse.to_state()["params"]["range_halflife"] == 0.0  # the range memory is the calm variant's
