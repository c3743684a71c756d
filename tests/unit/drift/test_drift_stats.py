"""Each statistic against scipy (or Evidently's formula) on small data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps
from scipy.spatial import distance

from engine.drift import stats


@pytest.fixture
def rng():
    return np.random.default_rng(7)


@pytest.mark.parametrize("n1,n2", [(50, 80), (300, 300), (900, 20_000), (12_000, 15_000)])
def test_ks_matches_scipy(rng, n1, n2):
    a = np.sort(rng.normal(size=n1))
    b = np.sort(rng.normal(0.05, 1.1, size=n2))
    d, p = stats.ks_test(a, b)
    ref = sps.ks_2samp(a, b)
    assert d == pytest.approx(ref.statistic, abs=1e-12)
    assert p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)


def test_ks_statistic_from_counts_is_exact_with_ties(rng):
    ref = np.sort(rng.integers(0, 40, 700).astype(float))
    cur = np.sort(rng.integers(0, 45, 30_000).astype(float))
    values, cdf = stats.ecdf_points(ref)
    lt = np.searchsorted(cur, values, "left")
    le = np.searchsorted(cur, values, "right")
    assert stats.ks_statistic_from_counts(cdf, lt, le, len(cur)) == pytest.approx(
        sps.ks_2samp(ref, cur).statistic, abs=1e-12)


def test_chi_square_matches_scipy():
    ref = np.array([120, 80, 50, 0])
    cur = np.array([100, 90, 55, 0])[:3]
    p = stats.chi_square_pvalue(ref[:3], cur)
    expected = ref[:3] * cur.sum() / ref[:3].sum()
    assert p == pytest.approx(sps.chisquare(cur, expected).pvalue, rel=1e-12)


def test_chi_square_new_category_gives_zero_p():
    assert stats.chi_square_pvalue(np.array([10, 10, 0]), np.array([10, 10, 3])) == 0.0


def test_z_test_matches_statsmodels_style_formula():
    ref, cur = np.array([70, 30]), np.array([55, 45])
    p1, p2 = 30 / 100, 45 / 100
    pooled = (30 + 45) / 200
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (2 / 100))
    assert stats.z_test_pvalue(ref, cur) == pytest.approx(2 * sps.norm.sf(abs(z)), rel=1e-9)
    assert stats.z_test_pvalue(np.array([5, 0]), np.array([9, 0])) == 1.0


@pytest.mark.parametrize("n,m", [(100, 100), (100, 37), (1000, 2500)])
def test_wasserstein_sorted_matches_scipy(rng, n, m):
    u = np.sort(rng.normal(size=n))
    v = np.sort(rng.normal(0.3, 2, size=m))
    assert stats.wasserstein_sorted(u, v) == pytest.approx(sps.wasserstein_distance(u, v), rel=1e-10)
    # in blocks (how 5M-row columns keep temporaries small), including blocks that split a breakpoint run
    for block in (1, 7, 64):
        assert stats.wasserstein_sorted(u, v, block=block) == pytest.approx(
            sps.wasserstein_distance(u, v), rel=1e-10), block


def test_wasserstein_weighted_matches_scipy(rng):
    u, v = np.sort(rng.normal(size=30)), np.sort(rng.normal(1, size=40))
    uw, vw = rng.random(30), rng.random(40)
    assert stats.wasserstein_weighted(u, uw, v, vw) == pytest.approx(
        sps.wasserstein_distance(u, v, uw, vw), rel=1e-10)


def test_normed_wasserstein_floors_std():
    assert stats.normed_wasserstein(0.5, 0.0) == pytest.approx(500.0)
    assert stats.normed_wasserstein(0.5, 2.0) == pytest.approx(0.25)


def test_jensen_shannon_matches_scipy():
    p, q = np.array([0.5, 0.3, 0.2, 0.0]), np.array([0.2, 0.3, 0.1, 0.4])
    assert stats.jensen_shannon(p, q) == pytest.approx(distance.jensenshannon(p, q), rel=1e-12)


def test_psi_with_evidently_zero_fill():
    ref = stats.fill_zeroes(np.array([0.5, 0.5, 0.0]))
    cur = stats.fill_zeroes(np.array([0.4, 0.4, 0.2]))
    assert ref[2] == 0.0001
    expected = sum((r - c) * np.log(r / c) for r, c in zip(ref, cur))
    assert stats.psi(ref, cur) == pytest.approx(expected)
    tiny = stats.fill_zeroes(np.array([0.99995, 0.00005, 0.0]))
    assert tiny[2] == pytest.approx(0.00005 / 10**6)


def test_sturges_edges_and_histogram_match_numpy(rng):
    a, b = rng.normal(size=700), rng.normal(1, size=500)
    both = np.concatenate([a, b])
    edges = stats.sturges_edges(both.min(), both.max(), len(both))
    np.testing.assert_array_equal(edges, np.histogram_bin_edges(both, bins="sturges"))
    np.testing.assert_array_equal(stats.histogram_sorted(np.sort(a), edges), np.histogram(a, edges)[0])
    flat = stats.sturges_edges(3.0, 3.0, 10)
    np.testing.assert_array_equal(flat, np.histogram_bin_edges(np.full(10, 3.0), bins="sturges"))


def test_log_histogram_quantiles_within_relative_accuracy(rng):
    from engine.drift.sketch import LogHistogram

    values = np.concatenate([rng.lognormal(5, 2, 50_000), -rng.lognormal(1, 1, 10_000), np.zeros(500)])
    sketch = LogHistogram(alpha=0.001)
    for chunk in np.array_split(values, 7):
        sketch.add(chunk)
    assert sketch.total == len(values)
    assert len(sketch.keys) < 20_000  # memory follows the range of magnitudes, not the row count
    ordered = np.sort(values)
    for q in (0.01, 0.2, 0.5, 0.9, 0.999):
        exact = ordered[int(q * (len(values) - 1))]
        assert sketch.quantile(q) == pytest.approx(exact, rel=0.0021, abs=1e-9)
