"""Flatline view (`ensemble-flat`): catches a stuck series, streams, restores, stays causal, matrix form."""

import json

import numpy as np

from engine.anomaly import registry
from engine.anomaly.detectors.ensemble import SPREAD_WEIGHT, EnsembleDetector, score_fresh_matrix
from engine.anomaly.watches.config import PRODUCTION_THRESHOLDS

STEP = 300.0


def stuck(n=3000, seed=0, at=2200, rows=40):
    """Daily-seasonal 5-minute series whose exporter repeats one value for `rows` rows from `at`."""
    rng = np.random.default_rng(seed)
    t = 1.7e9 + np.arange(n) * STEP
    y = 100 + 10 * np.sin(2 * np.pi * t / 86400) + rng.normal(0, 3, n)
    y[at : at + rows] = y[at]
    return t, y


def test_flat_view_catches_a_stuck_value_the_other_views_miss():
    t, y = stuck()
    flat = EnsembleDetector(coarse=True, flat=True).score_batch(t, y)
    plain = EnsembleDetector(coarse=True).score_batch(t, y)
    threshold = PRODUCTION_THRESHOLDS["ensemble-flat"]
    assert plain[2200:2240].max() < threshold <= flat[2200:2240].max() <= SPREAD_WEIGHT
    hits = np.flatnonzero(flat != plain)
    assert len(hits) and np.all((hits + 1) % 10 == 0)  # block ends only
    np.testing.assert_array_equal(flat[:300], plain[:300])  # no flatline score before `blocks` blocks of history


def test_flat_view_streams_restores_and_stays_causal():
    t, y = stuck()
    whole = registry.create("ensemble-flat").score_batch(t, y)
    det = registry.create("ensemble-flat")
    head = det.score_batch(t[:2205], y[:2205])  # mid-block and inside the stuck stretch
    restored = registry.restore(json.loads(json.dumps(det.to_state())))
    tail = np.array([restored.update(a, b) for a, b in zip(t[2205:], y[2205:])])
    np.testing.assert_allclose(np.r_[head, tail], whole, rtol=1e-9, atol=1e-12)
    changed = y.copy()
    changed[2210:] = 0.0
    other = registry.create("ensemble-flat").score_batch(t, changed)
    np.testing.assert_array_equal(whole[:2210], other[:2210])


def test_flat_view_feedback_silences_a_similar_flatline():
    t, y = stuck(n=3000, at=2200)
    det = EnsembleDetector(coarse=True, flat=True)
    s = det.score_batch(t[:2210], y[:2210])
    assert s[2200:2210].max() >= PRODUCTION_THRESHOLDS["ensemble-flat"]
    det.feedback_not_anomaly()
    y2 = y.copy()
    y2[2600:2640] = y2[2600]
    later = det.score_batch(t[2210:], y2[2210:])
    assert later[2600 - 2210 : 2640 - 2210].max() < PRODUCTION_THRESHOLDS["ensemble-flat"]


def test_matrix_form_includes_the_flat_view():
    cols = [stuck(seed=s, at=2000 + 100 * s) for s in range(2)]
    t = cols[0][0]
    y = np.stack([c[1] for c in cols], axis=1)
    many = score_fresh_matrix(y, 288, coarse=True, flat=True)
    for j in range(2):
        one = EnsembleDetector(coarse=True, flat=True).score_batch(t, y[:, j])
        np.testing.assert_allclose(many[:, j], one, rtol=1e-9, atol=1e-12)
    assert np.any(many != score_fresh_matrix(y, 288, coarse=True))
