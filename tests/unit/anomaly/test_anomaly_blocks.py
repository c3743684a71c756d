"""Block statistics: NaN-aware median, resumable scoring, matrix == per-series."""

import warnings

import numpy as np

from engine.anomaly.detectors.blocks import BlockState, block_deviation, close_block, nan_median
from engine.anomaly.detectors.robust import RobustParams, State, score_matrix


def test_nan_median_matches_numpy_and_counts():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(7, 11))
    a[rng.random(a.shape) < 0.3] = np.nan
    a[:, 0] = np.nan
    med, cnt = nan_median(a, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the all-NaN column warns in numpy
        want = np.nanmedian(a, axis=0)
    np.testing.assert_allclose(med, want, equal_nan=True)
    np.testing.assert_array_equal(cnt, np.isfinite(a).sum(axis=0))


def test_block_deviation_resumes_at_any_split():
    rng = np.random.default_rng(1)
    x = rng.normal(10, 2, (437, 3))
    whole, _ = block_deviation(x, BlockState.fresh(30, 3), 10, 3, 0.01)
    st = BlockState.fresh(30, 3)
    parts = []
    for lo, hi in ((0, 7), (7, 133), (133, 134), (134, 300), (300, 437)):
        d, st = block_deviation(x[lo:hi], st, 10, 3, 0.01)
        parts.append(d.z)
    np.testing.assert_allclose(np.vstack(parts), whole.z, rtol=1e-12)
    assert whole.z[:60].max() == 0.0  # no baseline before min_blocks of centre and scale
    assert 0.5 < np.median(whole.z[100:]) < 1.2  # about 0.67 sigma for Gaussian noise


def test_matrix_columns_equal_independent_series():
    rng = np.random.default_rng(2)
    p = RobustParams()
    y = 100 + rng.normal(0, 1, (700, 4)).cumsum(axis=0) * 0.1 + rng.normal(0, 1, (700, 4))
    y[650, 2] += 30
    both = score_matrix(y, State.fresh(4, p, 288), 288, p).scores
    for j in range(4):
        one = score_matrix(y[:, j : j + 1], State.fresh(1, p, 288), 288, p).scores[:, 0]
        np.testing.assert_allclose(both[:, j], one, rtol=1e-12)
    assert both[650, 2] == both[600:, 2].max() and both[650, 2] > 0.5


def test_close_block_leaves_the_state_a_batch_ending_on_the_boundary_leaves():
    x = np.random.default_rng(3).normal(0, 1, (90, 2)) * [1.0, 50.0]
    _, whole = block_deviation(x, BlockState.fresh(30, 2), 10, 3, 0.01)
    _, head = block_deviation(x[:89], BlockState.fresh(30, 2), 10, 3, 0.01)
    closed = close_block(head, x[89], 3, 0.01)
    assert closed.partial.shape == whole.partial.shape == (0, 2)
    np.testing.assert_allclose(closed.stats, whole.stats, rtol=1e-12, equal_nan=True)
    assert whole.current is not None and closed.current is not None
    np.testing.assert_allclose(closed.current, whole.current, rtol=1e-12)
    # The cached baseline is the one the next row is scored against in a longer batch.
    d, _ = block_deviation(np.vstack([x, x[:1]]), BlockState.fresh(30, 2), 10, 3, 0.01)
    np.testing.assert_allclose([d.centre[-1], d.scale[-1]], closed.current, rtol=1e-12)
