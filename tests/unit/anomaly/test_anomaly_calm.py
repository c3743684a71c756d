"""Calm layer (`ensemble-calm`): warm-up ramp, phase-recurrence damping, streaming, restore, causality."""

import json

import numpy as np

from engine.anomaly import registry
from engine.anomaly.detectors.calm import PHASE_DAMP, RAMP_FROM, CalmState, calm_scores
from engine.anomaly.detectors.ensemble import EnsembleDetector, score_fresh_matrix
from engine.anomaly.watches.config import PRODUCTION_THRESHOLDS

DAY = 86400.0
T0 = 1.7e9 - (1.7e9 % DAY)  # a UTC midnight


def test_ramp_scales_young_scores_by_age():
    ts = T0 + np.array([0.0, 1.5 * DAY, 3 * DAY, 5 * DAY])
    out = calm_scores(ts, np.full(4, 0.5), CalmState.fresh())  # below alarm level: no recurrence
    np.testing.assert_allclose(out, 0.5 * np.array([RAMP_FROM, (1 + RAMP_FROM) / 2, 1.0, 1.0]))


def test_a_move_recurring_at_the_same_time_of_day_is_damped_but_a_larger_one_alerts():
    step = 300.0
    ts = T0 + np.arange(int(12 * DAY / step)) * step
    s = np.full(len(ts), 0.2)
    at = (ts % DAY) == 2 * 3600  # 02:00 every night: a rotation the records never get used to
    s[at] = 0.75
    aged = CalmState.fresh()
    aged.t0 = T0 - 10 * DAY  # past the ramp: only the phase rule acts
    out = calm_scores(ts, s, aged)
    nights = np.flatnonzero(at)
    # Days 0-1 have no recurrence yet; from day 2 on, two earlier nights scored.
    assert out[nights[1]] == 0.75 and out[nights[2]] == 0.75 * (1 - PHASE_DAMP)
    assert np.all(out[nights[3:]] < PRODUCTION_THRESHOLDS["ensemble-calm"])
    bigger = s.copy()
    bigger[nights[8]] = 0.95  # beats the usual move by more than 1.2 times
    aged = CalmState.fresh()
    aged.t0 = T0 - 10 * DAY
    assert calm_scores(ts, bigger, aged)[nights[8]] == 0.95
    far = np.abs((ts % DAY) - 2 * 3600) >= 3600  # outside the bin and its neighbours nothing is damped
    np.testing.assert_array_equal(out[far], s[far])


def test_memory_forgets_after_a_week_without_rows():
    step = 1800.0
    ts = T0 + np.arange(int(4 * DAY / step)) * step
    s = np.where((ts % DAY) == 3600, 0.7, 0.1)
    st = CalmState.fresh()
    calm_scores(ts, s, st)
    assert st.past.max() == 0.7
    again = calm_scores(np.array([T0 + 20 * DAY + 3600]), np.array([0.7]), st)
    assert again[0] == 0.7 and st.past.max() == 0.0


def _series(n=4000, seed=0, step=300.0):
    rng = np.random.default_rng(seed)
    t = T0 + np.arange(n) * step
    y = 100 + 10 * np.sin(2 * np.pi * t / DAY) + rng.normal(0, 2, n)
    y[(t % DAY) == 3 * 3600] -= 40  # a nightly drop
    y[3000:3010] += 60
    return t, y


def test_calm_detector_streams_restores_and_stays_causal():
    t, y = _series()
    whole = registry.create("ensemble-calm").score_batch(t, y)
    det = registry.create("ensemble-calm")
    head = det.score_batch(t[:2905], y[:2905])
    restored = registry.restore(json.loads(json.dumps(det.to_state())))
    tail = np.array([restored.update(a, b) for a, b in zip(t[2905:], y[2905:])])
    np.testing.assert_allclose(np.r_[head, tail], whole, rtol=1e-9, atol=1e-4)  # the state rounds memory to 4 places
    changed = y.copy()
    changed[2950:] = 0.0
    other = registry.create("ensemble-calm").score_batch(t, changed)
    np.testing.assert_array_equal(whole[:2950], other[:2950])
    plain = registry.create("ensemble-coarse").score_batch(t, y)
    # The layer itself only ever lowers scores (the detector's drops may still score higher
    # than ensemble-coarse's, by the direction rule: test_anomaly_direction.py).
    assert np.all(calm_scores(t, plain, CalmState.fresh()) <= plain + 1e-12)
    assert whole[3000:3010].max() >= PRODUCTION_THRESHOLDS["ensemble-calm"]  # the real spike still alerts


def test_matrix_form_applies_the_calm_layer():
    cols = [_series(seed=s) for s in range(2)]
    t = cols[0][0]
    y = np.stack([c[1] for c in cols], axis=1)
    many = score_fresh_matrix(y, 288, coarse=True, stamps=t)
    for j in range(2):
        one = EnsembleDetector(coarse=True, calm=True).score_batch(t, y[:, j])
        np.testing.assert_allclose(many[:, j], one, rtol=1e-9, atol=1e-12)
