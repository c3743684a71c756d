"""A watch runs the detector its config names, keeping what it learned whenever that carries over."""

from __future__ import annotations

import numpy as np

from engine.anomaly import registry
from engine.anomaly.watches.config import WatchConfig
from engine.anomaly.watches.scoring import _detector


def _series(n: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ts = 1_700_000_000 + 300.0 * np.arange(n)
    vs = 100 + 10 * np.sin(2 * np.pi * np.arange(n) / 288) + rng.normal(0, 1, n)
    return ts, vs


def _learned(name: str, n: int = 1200) -> dict:
    det = registry.create(name)
    ts, vs = _series(n)
    det.score_batch(ts, vs)
    return det.to_state()


def test_a_learned_coarse_state_becomes_calm_without_a_second_warm_up():
    state = _learned("ensemble-coarse")
    det = _detector(WatchConfig(name="w", query="up", detector="ensemble-calm"), state)
    assert det.variant() == (True, False, True)
    # Same learned state, calm memory empty and no ramp left (a ramp would halve every score):
    # rises score as before, drops as high or higher (the direction rule, ensemble_views.combine_members).
    old = registry.restore(state)
    ts, vs = _series(1400)
    vs[1250] += 80  # a spike the learned series must still score at full strength
    new, before = det.score_batch(ts[1200:], vs[1200:]), old.score_batch(ts[1200:], vs[1200:])
    assert np.all(new >= before - 1e-12) and np.isclose(new, before).mean() > 0.5
    assert new[50] == before[50] and new[50] >= 0.6


def test_a_state_that_cannot_become_the_configured_detector_is_replaced_by_it():
    state = _learned("ensemble")  # no two-hour view: it cannot become ensemble-calm
    det = _detector(WatchConfig(name="w", query="up", detector="ensemble-calm"), state)
    assert det.variant() == (True, False, True) and det.to_state()["seen"] == 0


def test_the_configured_detector_keeps_its_own_state_and_robust_variants_share_theirs():
    calm = _learned("ensemble-calm")
    det = _detector(WatchConfig(name="w", query="up", detector="ensemble-calm"), calm)
    assert det.to_state()["calm"] == calm["calm"] and det.to_state()["seen"] == calm["seen"]
    robust = _learned("robust")
    assert _detector(WatchConfig(name="w", query="up", detector="robust-plain"), robust).to_state() == robust
