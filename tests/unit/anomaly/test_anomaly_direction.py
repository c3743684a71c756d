"""The row view's member combination by direction (`ensemble-calm`): rises score the mean, drops nearer the surer member."""

import numpy as np

from engine.anomaly.detectors.ensemble import DROP_POWER, combine_members


def test_rises_keep_the_mean_and_drops_lean_to_the_surer_member():
    scores = np.array([[0.2, 0.9], [0.2, 0.9], [0.5, 0.5], [0.0, 0.0]])
    below = np.array([False, True, True, True])
    out = combine_members(scores, below, by_direction=True)
    assert out[0] == 0.55  # a rise: both scales must agree
    assert 0.55 < out[1] < 0.9  # a drop: nearer the log member, which sees a fall toward zero plainly
    np.testing.assert_allclose(out[1], (0.5 * (0.2**DROP_POWER + 0.9**DROP_POWER)) ** (1 / DROP_POWER))
    assert out[1] >= 0.6  # alerts at the production threshold, where the mean (0.55) would not
    assert out[2] == 0.5 and out[3] == 0.0  # agreeing members score what they agree on
    np.testing.assert_array_equal(combine_members(scores, below, by_direction=False), scores.mean(axis=1))


def test_one_row_path_matches_the_batch_path():
    rng = np.random.default_rng(0)
    scores, below = rng.random((50, 2)), rng.random(50) < 0.5
    batch = combine_members(scores, below, by_direction=True)
    rows = [combine_members(scores[i : i + 1], below[i : i + 1], by_direction=True)[0] for i in range(50)]
    np.testing.assert_allclose(rows, batch, rtol=1e-12)
