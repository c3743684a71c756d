"""PC-style structure learning and the learned-parent residual."""

import numpy as np

from engine.rca.grid import Grid
from engine.rca.pcgraph import learn_graph
from engine.rca.structure import parent_residual_peaks


def _collider_chain(rows: int = 1500, shock: float = 0.0) -> np.ndarray:
    # a -> c <- b (a collider: a and b independent), then c -> d.  Z_DROP = 1 drops an
    # independent pair only when its sample |z| < 1 (about two draws in three): this seed's
    # a-b sample correlation is typical (|z| = 0.5), not a lucky one.
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(rows), rng.standard_normal(rows)
    a[-5:] += shock
    c = 0.8 * a + 0.8 * b + 0.5 * rng.standard_normal(rows)
    d = 0.9 * c + 0.5 * rng.standard_normal(rows)
    return np.column_stack([a, b, c, d])


def test_collider_is_oriented_and_propagated():
    g = learn_graph(_collider_chain())
    assert g is not None
    assert g.parents[2] == {0, 1}  # a -> c <- b from the collider
    assert g.parents[3] == {2}  # c -> d by Meek's first rule
    assert 1 not in g.neighbours(0)  # a and b are independent: no edge


def test_too_short_a_baseline_learns_nothing():
    assert learn_graph(_collider_chain(rows=20)) is None


def test_root_cause_keeps_its_jump_while_its_effect_is_explained():
    x = _collider_chain(shock=8.0)
    grid = Grid(np.arange(x.shape[0], dtype=float), ["a_x", "b_x", "c_x", "d_x"], x)
    base = np.zeros(x.shape[0], dtype=bool)
    base[:-10] = True
    learned = learn_graph(x[base])
    peaks = parent_residual_peaks(grid, base, ~base, learned, moved={0, 2, 3})
    assert peaks["a_x"][0] > 5.0  # a has no parents: its own jump stays
    assert peaks["c_x"][0] < 4.0 and peaks["d_x"][0] < 4.0  # explained by their learned parents



def test_still_signal_is_not_made_unexplained_by_a_moved_parent():
    # a -> c with c given as a's parent (a wrong orientation) and c moving alone (its own
    # fault): a stayed still, yet its residual given c carries c's jump.  With
    # still_given_still a still signal is regressed on still signals only.
    from engine.rca.pcgraph import LearnedGraph

    rng = np.random.default_rng(5)
    rows = 1500
    a = rng.standard_normal(rows)
    c = 0.9 * a + 0.3 * rng.standard_normal(rows)
    c[-5:] += 6.0
    x = np.column_stack([a, c])
    grid = Grid(np.arange(rows, dtype=float), ["a_x", "c_x"], x)
    base = np.zeros(rows, dtype=bool)
    base[:-10] = True
    wrong = LearnedGraph(parents=[{1}, set()], undirected=[set(), set()])
    loud = parent_residual_peaks(grid, base, ~base, wrong, moved={1})
    still = parent_residual_peaks(grid, base, ~base, wrong, moved={1}, still_given_still=True)
    assert max(loud["a_x"]) > 10.0  # the effect's jump read back as the still signal's residual
    assert max(still["a_x"]) < 4.0
    assert still["c_x"] == loud["c_x"] and still["c_x"][0] > 5.0  # a moved signal: unchanged

def test_first_order_tests_match_the_general_partial_correlation():
    # _separate's closed form for one conditioning variable must pick the same separating
    # set as the general (matrix-inverse) test over every candidate, in the same order.
    from itertools import combinations

    from engine.rca.pcgraph import _independent, _separate

    rng = np.random.default_rng(11)
    x = rng.standard_normal((400, 8)) @ rng.standard_normal((8, 8)) * 0.4 + rng.standard_normal((400, 8))
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    corr = z.T @ z / 400
    adj = [set(range(8)) - {i} for i in range(8)]
    for i, j in combinations(range(8), 2):
        expected = None
        for a, b in ((i, j), (j, i)):
            hits = [(k,) for k in sorted(adj[a] - {b}) if _independent(corr, 400, i, j, (k,))]
            if hits:
                expected = hits[0]
                break
        assert _separate(corr, 400, i, j, adj, 1) == expected


def test_a_persistent_effect_is_explained_by_its_own_past_after_its_cause_is_back():
    # s = 0.8 * s[t-1] + p + noise: after a two-step jump of p, s stays high for a few steps
    # through its own memory.  Given only its parent, that echo reads as s's own residual;
    # with its previous value as a regressor it is explained.
    from engine.rca.pcgraph import LearnedGraph
    from engine.rca.structure import parent_residuals

    rng = np.random.default_rng(5)
    rows = 1500
    p = rng.standard_normal(rows)
    p[-10:-8] += 30.0
    s = np.zeros(rows)
    for t in range(1, rows):
        s[t] = 0.8 * s[t - 1] + p[t] + 0.3 * rng.standard_normal()
    grid = Grid(np.arange(rows, dtype=float), ["p_x", "s_x"], np.column_stack([p, s]))
    base = np.zeros(rows, dtype=bool)
    base[:-10] = True
    resid = parent_residuals(grid, base, LearnedGraph([set(), {0}], [set(), set()]), moved={0, 1})
    after = resid[-8:-4, 1] / resid[base, 1].std()  # the four steps after the parent is back
    assert np.abs(after).max() < 4.0
