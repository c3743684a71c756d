"""Drift statistics, vectorised with numpy, matching Evidently's DataDriftPreset formulas.

Each function mirrors the arithmetic of `evidently.legacy.calculations.stattests` so that the
same data gives the same score (up to float rounding), without pandas and without re-sorting
data that a profile has already sorted.
"""

from __future__ import annotations

import math

import numpy as np

# scipy.stats costs a second to import; only the small-sample tests (KS, chi-square, z) need it,
# so it is imported inside them and a large comparison (Wasserstein, Jensen-Shannon) never pays.

# scipy's ks_2samp(method="auto") is exact up to this many values per side, asymptotic above.
KS_EXACT_MAX_N = 10_000


def ks_statistic_from_counts(ref_cdf: np.ndarray, cur_lt: np.ndarray, cur_le: np.ndarray, n_cur: int) -> float:
    """Return the two-sample KS statistic from the reference CDF at its distinct values and
    the counts of current values below (<) and at-or-below (<=) each of those values.

    Between two reference points the reference CDF is flat and the current CDF only rises, so
    the supremum sits at a reference point or just before the next one: exact, one pass.
    """
    at_points = np.abs(ref_cdf - cur_le / n_cur)
    before = np.abs(np.concatenate(([0.0], ref_cdf[:-1])) - cur_lt / n_cur)
    return float(max(at_points.max(initial=0.0), before.max(initial=0.0)))


def ks_pvalue_asymptotic(d: float, n1: int, n2: int) -> float:
    """Return scipy's asymptotic two-sided KS p-value (used when a side exceeds 10,000 values)."""
    from scipy import stats as sps

    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    return float(np.clip(sps.kstwo.sf(d, np.round(en)), 0.0, 1.0))


def ks_test(ref_sorted: np.ndarray, cur_sorted: np.ndarray) -> tuple[float, float]:
    """Return (statistic, p-value) of the two-sided two-sample KS test on sorted samples."""
    from scipy import stats as sps

    n1, n2 = len(ref_sorted), len(cur_sorted)
    if max(n1, n2) <= KS_EXACT_MAX_N:
        res = sps.ks_2samp(ref_sorted, cur_sorted)  # exact distribution, cheap at this size
        return float(res.statistic), float(res.pvalue)
    values, ref_cdf = ecdf_points(ref_sorted)
    cur_lt = np.searchsorted(cur_sorted, values, side="left")
    cur_le = np.searchsorted(cur_sorted, values, side="right")
    d = ks_statistic_from_counts(ref_cdf, cur_lt, cur_le, n2)
    return d, ks_pvalue_asymptotic(d, n1, n2)


def ecdf_points(sorted_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct values of a sorted sample and its ECDF at each of them."""
    n = len(sorted_values)
    last = np.flatnonzero(np.diff(sorted_values)) if n else np.empty(0, dtype=np.int64)
    ends = np.append(last, n - 1) if n else last
    return sorted_values[ends], (ends + 1) / n


def chi_square_pvalue(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Return the chi-square goodness-of-fit p-value of current counts against reference
    counts scaled to the current size (Evidently's `chisquare` test)."""
    from scipy import stats as sps

    ref = np.asarray(ref_counts, dtype=float)
    obs = np.asarray(cur_counts, dtype=float)
    expected = ref * (obs.sum() / ref.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        # a category absent from the reference has expected 0: infinite statistic, p = 0
        stat = float(np.sum((obs - expected) ** 2 / expected))
    return float(sps.chi2.sf(stat, len(obs) - 1))


def z_test_pvalue(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Return the two-sided two-proportion z-test p-value for a binary feature.

    Counts are aligned on the sorted category keys; the first key is coded 0, the rest 1,
    as in Evidently's `z` test.
    """
    from scipy import stats as sps

    ref = np.asarray(ref_counts, dtype=float)
    cur = np.asarray(cur_counts, dtype=float)
    ref_present, cur_present = np.flatnonzero(ref), np.flatnonzero(cur)
    if len(ref_present) == 1 and len(cur_present) == 1 and ref_present[0] == cur_present[0]:
        return 1.0
    n1, n2 = ref.sum(), cur.sum()
    p1 = (n1 - ref[0]) / n1
    p2 = (n2 - cur[0]) / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    return float(2 * (1 - sps.norm.cdf(np.abs(z))))


def wasserstein_sorted(u_sorted: np.ndarray, v_sorted: np.ndarray, block: int = 1 << 20) -> float:
    """Return the first Wasserstein distance between two sorted equal-weight samples.

    Integrates |Q_u(t) - Q_v(t)| over the merged quantile breakpoints i/n and j/m, which is
    linear after sorting (scipy re-sorts the concatenation and searches both sides). Works
    `block` reference quantiles at a time so temporaries stay small on 5M-row columns.
    """
    n, m = len(u_sorted), len(v_sorted)
    if n == m:
        total = sum(float(np.sum(np.abs(u_sorted[s:s + block] - v_sorted[s:s + block])))
                    for s in range(0, n, block))
        return total / n
    total = 0.0
    for i0 in range(0, n, block):
        i1 = min(i0 + block, n)
        # breakpoints in integer units of 1/(n*m): i*m and j*n, those in (i0*m, i1*m] in this block
        low, high = i0 * m, i1 * m
        steps = _sorted_unique(np.concatenate((np.arange(i0 + 1, i1 + 1, dtype=np.int64) * m,
                                               np.arange(low // n + 1, high // n + 1, dtype=np.int64) * n)))
        widths = np.diff(steps, prepend=low)
        iu = (steps + m - 1) // m - 1  # ceil(t*n) - 1: index of the u quantile on (t_prev, t]
        iv = (steps + n - 1) // n - 1
        total += float(np.sum(widths * np.abs(u_sorted[iu] - v_sorted[iv])))
    return total / (n * m)


def wasserstein_weighted(u_values: np.ndarray, u_weights: np.ndarray,
                         v_values: np.ndarray, v_weights: np.ndarray) -> float:
    """Return the first Wasserstein distance between two weighted point sets (sorted values)."""
    all_values = np.union1d(u_values, v_values)
    deltas = np.diff(all_values)
    u_cum = np.concatenate(([0.0], np.cumsum(u_weights, dtype=float)))
    v_cum = np.concatenate(([0.0], np.cumsum(v_weights, dtype=float)))
    u_cdf = u_cum[np.searchsorted(u_values, all_values[:-1], "right")] / u_cum[-1]
    v_cdf = v_cum[np.searchsorted(v_values, all_values[:-1], "right")] / v_cum[-1]
    return float(np.sum(np.abs(u_cdf - v_cdf) * deltas))


def normed_wasserstein(distance: float, ref_std: float) -> float:
    """Return a Wasserstein distance divided by the reference std (floored at 0.001)."""
    return distance / max(float(ref_std), 0.001)


def jensen_shannon(p: np.ndarray, q: np.ndarray) -> float:
    """Return the Jensen-Shannon distance (natural log) between two frequency vectors."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    p = p / p.sum()
    q = q / q.sum()
    m = (p + q) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(p > 0, p * np.log(p / m), 0.0)
        right = np.where(q > 0, q * np.log(q / m), 0.0)
    return float(np.sqrt(max(left.sum() + right.sum(), 0.0) / 2.0))


def psi(ref_percents: np.ndarray, cur_percents: np.ndarray) -> float:
    """Return the population stability index of two zero-filled percent vectors."""
    ref = np.asarray(ref_percents, dtype=float)
    cur = np.asarray(cur_percents, dtype=float)
    return float(np.sum((ref - cur) * np.log(ref / cur)))


def fill_zeroes(percents: np.ndarray) -> np.ndarray:
    """Replace empty bins as Evidently does before PSI: a millionth of the smallest share,
    or 0.0001 when the smallest share is above 0.0001."""
    out = np.asarray(percents, dtype=float).copy()
    nonzero = out[out != 0]
    smallest = nonzero.min() if len(nonzero) else 0.0
    out[out == 0] = smallest / 10**6 if smallest <= 0.0001 else 0.0001
    return out


def sturges_edges(minimum: float, maximum: float, n_values: int) -> np.ndarray:
    """Return numpy's 'sturges' histogram edges for n_values values spanning [minimum, maximum]."""
    first, last = float(minimum), float(maximum)
    width = (last - first) / (math.log2(n_values) + 1.0)
    if first == last:
        first, last = first - 0.5, last + 0.5
    n_bins = int(np.ceil((last - first) / width)) if width else 1
    return np.linspace(first, last, n_bins + 1, endpoint=True)


def histogram_sorted(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Return np.histogram counts for already sorted values (last bin closed on the right)."""
    cum = np.concatenate((np.searchsorted(sorted_values, edges[:-1], "left"),
                          np.searchsorted(sorted_values, edges[-1:], "right")))
    return np.diff(cum)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    # np.unique without counts imports numpy.ma (35 ms) on first use; this is the same result
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values
