"""Orientation by sparse mechanism shift: the faulted signal is the cause of its neighbours."""

import numpy as np
import pytest

from engine.rca.orient import BASELINE_WEIGHT, MechanismCost, orient_by_shift
from engine.rca.pcgraph import LearnedGraph, learn_graph

ROWS = 1500
FAULT_ROWS = 10


def _masks(rows: int = ROWS) -> tuple[np.ndarray, np.ndarray]:
    base = np.zeros(rows, dtype=bool)
    base[:-FAULT_ROWS] = True
    return base, ~base


def _pair(root_first: bool) -> np.ndarray:
    # root -> effect with a jump in the root's own noise; PC cannot orient a lone edge.
    rng = np.random.default_rng(5)
    root = rng.standard_normal(ROWS)
    root[-FAULT_ROWS : -FAULT_ROWS + 2] += 6.0
    effect = 0.9 * root + 0.6 * rng.standard_normal(ROWS)
    return np.column_stack([root, effect] if root_first else [effect, root])


@pytest.mark.parametrize("root_first", [True, False])
def test_the_faulted_signal_becomes_the_parent(root_first):
    x = _pair(root_first)
    base, episode = _masks()
    undirected = LearnedGraph([set(), set()], [{1}, {0}])
    g = orient_by_shift(x, base, episode, undirected)
    root, effect = (0, 1) if root_first else (1, 0)
    assert g.parents[effect] == {root} and g.parents[root] == set()
    assert g.undirected == [set(), set()]


def test_a_wrong_pc_orientation_is_reversed():
    x = _pair(root_first=True)
    base, episode = _masks()
    wrong = LearnedGraph([{1}, set()], [set(), set()])  # effect -> root
    assert orient_by_shift(x, base, episode, wrong).parents == [set(), {0}]


def test_a_collider_the_baseline_supports_is_kept():
    # a -> c <- b, fault at c itself: the shift alone would let c be a parent of a or b
    # at no cost; the baseline fit keeps the collider.
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(ROWS), rng.standard_normal(ROWS)
    c = 0.8 * a + 0.8 * b + 0.5 * rng.standard_normal(ROWS)
    c[-FAULT_ROWS:-FAULT_ROWS + 2] += 5.0
    x = np.column_stack([a, b, c])
    base, episode = _masks()
    learned = learn_graph(x[base])
    assert learned is not None and learned.parents[2] == {0, 1}
    assert orient_by_shift(x, base, episode, learned).parents == [set(), set(), {0, 1}]


def test_batched_costs_match_one_regression_at_a_time():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 6))
    x[:, 1] += x[:, 0]
    x[:, 2] += 0.5 * x[:, 1] - x[:, 4]
    base = np.zeros(300, dtype=bool)
    base[:280] = True
    cost = MechanismCost(x, base, ~base)
    masks, values = cost.subset_costs(2, [0, 1, 4])
    assert sorted(masks.tolist()) == sorted({0, 1, 2, 3, 16, 17, 18, 19})
    for mask, value in zip(masks.tolist(), values.tolist()):
        parents = frozenset(k for k in (0, 1, 4) if mask >> k & 1)
        assert value == pytest.approx(cost(2, parents), abs=1e-6)


def test_no_episode_leaves_the_graph_as_learned():
    x = _pair(root_first=True)
    learned = LearnedGraph([set(), set()], [{1}, {0}])
    assert orient_by_shift(x, np.ones(ROWS, dtype=bool), np.zeros(ROWS, dtype=bool), learned) is learned


def test_prefetched_costs_match_one_regression_at_a_time():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, 5))
    x[:, 2] += x[:, 0] - 0.5 * x[:, 1]
    base = np.zeros(300, dtype=bool)
    base[:280] = True
    pairs = [(2, frozenset()), (2, frozenset({0, 1})), (0, frozenset({2})), (4, frozenset({0, 1, 3}))]
    batched = MechanismCost(x, base, ~base)
    batched.prefetch(pairs)
    single = MechanismCost(x, base, ~base)
    for j, parents in pairs:
        assert batched._cache[(j, parents)] == pytest.approx(single(j, parents), abs=1e-6)


def _reference_cost(x: np.ndarray, base: np.ndarray, j: int, parents: list[int],
                    weight: float = BASELINE_WEIGHT) -> float:
    """The cost written out: least squares on the baseline, Cauchy shift over the episode."""
    lagged = np.vstack([x[:1], x[:-1]])
    feats = np.hstack([x, lagged])
    fit = base.copy()
    fit[0] = False
    mean, scale = feats[fit].mean(axis=0), feats[fit].std(axis=0)
    z = (feats - mean) / scale
    cols = [*parents, x.shape[1] + j]
    coef, *_ = np.linalg.lstsq(z[fit][:, cols], z[fit][:, j], rcond=None)
    var = float(np.mean((z[fit][:, j] - z[fit][:, cols] @ coef) ** 2))
    resid = z[~base][:, j] - z[~base][:, cols] @ coef
    return float(np.log1p(resid**2 / var).sum()) + weight * 0.5 * int(fit.sum()) * np.log(var)


def test_costs_equal_the_regression_written_out():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((300, 5))
    x[:, 3] += x[:, 0] - 0.7 * x[:, 2]
    x[280:, 0] += 4.0  # the episode: a fault at signal 0
    base = np.zeros(300, dtype=bool)
    base[:280] = True
    for weight in (BASELINE_WEIGHT, 1.0):  # 1.0: dagsearch's full baseline likelihood
        cost = MechanismCost(x, base, ~base, baseline_weight=weight)
        assert cost.rows == 279  # the first baseline row has no previous value
        for j, parents in [(3, [0, 2]), (0, []), (0, [3]), (2, [0, 3])]:
            # rel 1e-5: MechanismCost adds a relative ridge of 1e-6 that plain least squares lacks.
            expected = _reference_cost(x, base, j, parents, weight)
            assert cost(j, frozenset(parents)) == pytest.approx(expected, rel=1e-5)
