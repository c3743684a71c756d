"""Graph-free residuals: a symptom is explained by its cause, the root cause is not."""

import numpy as np

from engine.rca.grid import Grid
from engine.rca.structure import partial_residual_peaks, partial_residuals
from engine.lab.rca.simulate import simulate


def _chain(shock: float, rows: int = 600) -> Grid:
    # root -> mid -> leaf, a linear model with a jump in the root's own noise at the end.
    rng = np.random.default_rng(0)
    root = rng.standard_normal(rows)
    root[-3:] += shock
    mid = 1.5 * root + 0.5 * rng.standard_normal(rows)
    leaf = -1.2 * mid + 0.5 * rng.standard_normal(rows)
    return Grid(np.arange(rows, dtype=float), ["leaf_x", "mid_x", "root_x"], np.column_stack([leaf, mid, root]))


def test_root_is_unexplained_and_symptoms_are_explained():
    grid = _chain(shock=8.0)
    base = np.zeros(grid.times.size, dtype=bool)
    base[:-10] = True
    peaks = partial_residual_peaks(grid, base, ~base)
    root = max(peaks["root_x"])
    # Given its child (R^2 0.9) the root keeps sqrt(1 - 0.9) of its 8-sigma jump, about 2.5 sigma
    # in theory; it must stay well above the explained symptoms.
    assert root > 3.0
    assert max(peaks["leaf_x"]) < 3.0 and max(peaks["mid_x"]) < 3.0 and max(peaks["leaf_x"]) < 0.7 * root


def test_no_fault_keeps_residuals_at_noise_level():
    grid = _chain(shock=0.0)
    base = np.zeros(grid.times.size, dtype=bool)
    base[:-10] = True
    assert all(max(v) < 4.5 for v in partial_residual_peaks(grid, base, ~base).values())


def test_short_baseline_and_constant_signal_do_not_break():
    grid = _chain(shock=5.0, rows=12)
    values = grid.values.copy()
    values[:, 0] = 1.0  # a flat metric
    grid = Grid(grid.times, grid.names, values)
    base = np.zeros(12, dtype=bool)
    base[:9] = True
    peaks = partial_residual_peaks(grid, base, ~base)
    assert set(peaks) == set(grid.names) and peaks["leaf_x"] == (0.0, 0.0)


def test_partial_residual_series_gives_the_same_peaks_and_keeps_unmodelled_signals_raw():
    # The series is what explaining away conditions on; its peaks are the view's peaks.
    grid = _chain(shock=8.0)
    base = np.zeros(grid.times.size, dtype=bool)
    base[:-10] = True
    resid = partial_residuals(grid, base)
    assert resid is not None and resid.shape == grid.values.shape
    assert partial_residual_peaks(grid, base, ~base, resid) == partial_residual_peaks(grid, base, ~base)
    # 2 baseline rows per signal in the joint model: 8 rows hold 4 of these 6 signals,
    # the other two keep their raw values.
    rng = np.random.default_rng(1)
    values = np.hstack([grid.values[-12:], rng.standard_normal((12, 3))])
    wide = Grid(grid.times[-12:], [*grid.names, "a_x", "b_x", "c_x"], values)
    few = np.zeros(12, dtype=bool)
    few[:8] = True
    resid = partial_residuals(wide, few)
    assert resid is not None
    assert np.array_equal(resid[:, 4:], values[:, 4:]) and not np.array_equal(resid[:, :4], values[:, :4])


def test_simulated_cases_share_graphs_like_circa():
    cases = simulate(6, 10, seed=3, num_graphs=2)
    assert all(np.array_equal(cases[0].matrix, c.matrix) for c in cases[:5])
    assert not np.array_equal(cases[0].matrix, cases[5].matrix)
    assert len({c.matrix.tobytes() for c in simulate(6, 4, seed=3)}) == 4  # default: up to 10 graphs


def test_a_residual_whose_baseline_spikes_must_hold_its_deviation_for_two_rows():
    import numpy as np

    from engine.rca.structure import held

    episode = np.array([0.1, 40.0, 0.2, -0.1])  # one lone spike
    spiky_base = np.array([0.0, 0.5, -0.4, 9.0, 0.1])  # heavy tails: a 9-sigma spike in the baseline
    calm_base = np.array([0.0, 0.5, -0.4, 1.0, 0.1])
    assert held(episode, spiky_base).max() < 1.0  # the lone spike no longer counts
    assert held(episode, calm_base).max() == 40.0  # a Gaussian residual may deviate for one row
    sustained_jump = np.array([0.1, 12.0, 11.0, 10.0])
    assert held(sustained_jump, spiky_base).max() >= 10.0  # a held jump still counts
