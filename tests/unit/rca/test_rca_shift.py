"""Innovation given the still signals: the root cause stays on top even when copied."""

import numpy as np

from engine.rca.grid import Grid
from engine.rca.shift import innovation_peaks
from engine.rca.structure import partial_residual_peaks


def _copied_root(shock: float, rows: int = 800) -> Grid:
    # parent -> root -> {child_a, child_b}; both children nearly copy the root, so a
    # regression of the root on every other signal explains most of its jump away.
    rng = np.random.default_rng(1)
    parent = rng.standard_normal(rows)
    root = 0.9 * parent + 0.3 * rng.standard_normal(rows)
    root[-2:] += 0.3 * shock
    child_a = 2.0 * root + 0.05 * rng.standard_normal(rows)
    child_b = -1.5 * root + 0.05 * rng.standard_normal(rows)
    names = ["a_x", "b_x", "parent_x", "root_x"]
    return Grid(np.arange(rows, dtype=float), names, np.column_stack([child_a, child_b, parent, root]))


def _masks(rows: int, tail: int = 5) -> tuple[np.ndarray, np.ndarray]:
    base = np.zeros(rows, dtype=bool)
    base[:-tail] = True
    return base, ~base


def test_root_cause_beats_children_that_copy_it():
    grid = _copied_root(shock=12.0)
    base, episode = _masks(grid.times.size)
    inn = innovation_peaks(grid, base, episode)
    root = max(inn["root_x"])
    assert root > 8.0
    assert root > 2 * max(max(inn["a_x"]), max(inn["b_x"]))
    # The regression on every other signal is diluted by the copies: the case this module is for.
    partial = partial_residual_peaks(grid, base, episode)
    assert max(partial["root_x"]) < 0.75 * root


def test_two_independent_root_causes_both_surface():
    rng = np.random.default_rng(2)
    rows = 600
    # Each cause has a parent that stays still, which is what separates it from its copy.
    p1, p2 = rng.standard_normal(rows), rng.standard_normal(rows)
    r1 = 0.9 * p1 + 0.4 * rng.standard_normal(rows)
    r2 = 0.8 * p2 + 0.4 * rng.standard_normal(rows)
    r1[-2:] += 9.0
    r2[-2:] += 9.0
    s1 = 1.5 * r1 + 0.2 * rng.standard_normal(rows)  # symptoms that each copy one cause
    s2 = 1.2 * r2 + 0.2 * rng.standard_normal(rows)
    names = ["p1_x", "p2_x", "r1_x", "r2_x", "s1_x", "s2_x"]
    grid = Grid(np.arange(rows, dtype=float), names, np.column_stack([p1, p2, r1, r2, s1, s2]))
    base, episode = _masks(rows)
    inn = innovation_peaks(grid, base, episode)
    assert inn["r1_x"][0] > 6.0 and inn["r2_x"][0] > 6.0
    # Once a cause is peeled off, its copy is explained: both causes outrank both symptoms.
    assert max(max(inn["s1_x"]), max(inn["s2_x"])) < min(inn["r1_x"][0], inn["r2_x"][0])


def test_quiet_episode_and_short_baseline():
    grid = _copied_root(shock=0.0)
    base, episode = _masks(grid.times.size)
    assert all(max(v) < 5.0 for v in innovation_peaks(grid, base, episode).values())
    short = np.zeros(grid.times.size, dtype=bool)
    short[:6] = True
    assert innovation_peaks(grid, short, episode) is None


def test_every_graph_free_mode_ranks_a_simulated_root_cause_high():
    from engine.rca.ranker import RankerConfig, rank_names
    from engine.lab.rca.simulate import START_TIME, STEP_SECONDS, simulate
    from engine.rca.types import RcaInput, Series

    case = simulate(8, 1, seed=5)[0]
    names = case.column_names()
    times = START_TIME + STEP_SECONDS * np.arange(case.data.shape[0], dtype=float)
    inp = RcaInput({n: Series.of(times, case.data[:, j]) for j, n in enumerate(names)},
                   START_TIME + STEP_SECONDS * case.length_normal)
    truth = {names[c] for c in case.causes}
    for mode in ("partial", "innovation", "both"):
        ranked = rank_names(inp, RankerConfig(graph_free=mode))
        assert sorted(ranked) == sorted(names)
        assert truth & set(ranked[:3]), mode
