"""Cheaper steps that must give exactly what they replaced: the state encoder and nan_to_num in the row path."""

import numpy as np

from engine.anomaly.detectors.blocks import nan_to_zero
from engine.anomaly.detectors.record import _dec, _enc

EDGES = np.array([[0.0, -0.0, 1.5, -2.25, np.nan, np.inf, -np.inf, 1e308, -1e-320, 5e-324]])


def test_nan_to_zero_is_nan_to_num_bit_for_bit():
    for a in (EDGES, EDGES.T, EDGES[0], np.random.default_rng(0).normal(0, 1e6, (7, 3))):
        want = np.nan_to_num(a, nan=0.0)
        got = nan_to_zero(a)
        assert got.shape == want.shape and got.tobytes() == want.tobytes()


def test_state_encoding_writes_what_the_per_element_encoder_wrote():
    a = np.vstack([EDGES, EDGES[:, ::-1]])
    old = {"shape": list(a.shape), "data": [None if not np.isfinite(v) else float(v) for v in a.ravel()]}
    new = _enc(a)
    assert new == old and [type(v) for v in new["data"]] == [type(v) for v in old["data"]]
    np.testing.assert_array_equal(_dec(new), np.where(np.isfinite(a), a, np.nan))
    assert _enc(np.zeros((0, 2))) == {"shape": [0, 2], "data": []}
