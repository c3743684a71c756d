"""Pick each feature's kind and test the way Evidently's DataDriftPreset does, then run it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from engine.drift import stats
from engine.drift.numeric import NumericProfile
from engine.drift.profile import CategoricalProfile, ColumnProfile
from engine.drift.types import DriftOptions, is_drifted
from engine.errors import InvalidInput

INTEGER_CARDINALITY_LIMIT = 10  # Evidently: an int column with at most 10 values is categorical
SMALL_REFERENCE = 1000  # Evidently: up to this many reference values -> statistical tests
FEW_VALUES = 5  # Evidently: numeric columns with at most 5 values are tested as categories
BINNING_MIN_VALUES = 20  # Evidently bins numeric columns above 20 reference values (sturges)


@dataclass
class TestResult:
    """Score and verdict of one feature, plus the effect size used for ranking."""

    method: str
    score: float
    threshold: float
    drifted: bool
    effect: Optional[float]


def infer_kind(name: str, reference: ColumnProfile, current: ColumnProfile, options: DriftOptions) -> Optional[str]:
    """Return 'numerical', 'categorical' or None (not tested), with Evidently's rules.

    Evidently infers every rule from the current data; "free text" is decided from the reference
    here instead, because a small current batch (one row) has every value distinct and would
    otherwise hide every categorical column. On equal-sized samples the two agree.
    """
    if name in options.numerical:
        return "numerical"
    if name in options.categorical:
        return "categorical"
    if isinstance(current, NumericProfile):
        # pandas turns an int column with missing values into float, which Evidently calls numerical
        if current.is_int and current.missing == 0 and current.n_unique() <= INTEGER_CARDINALITY_LIMIT:
            return "categorical"
        return "numerical"
    if isinstance(current, CategoricalProfile):
        if current.is_bool:
            return "categorical"
        basis = reference if isinstance(reference, CategoricalProfile) else current
        # Evidently treats a string column as free text when over half its values are distinct
        if basis.overflow or basis.n_unique() > 0.5 * basis.count:
            return None
        return "categorical"
    return None


def default_method(ref: ColumnProfile, cur: ColumnProfile, kind: str) -> str:
    """Return Evidently's default test for a feature (`_get_default_stattest`)."""
    n_values = _union_unique(ref, cur)
    if ref.count <= SMALL_REFERENCE:
        if kind == "numerical" and n_values > FEW_VALUES:
            return "ks"
        return "chisquare" if n_values > 2 else "z"
    if kind == "numerical" and n_values > FEW_VALUES:
        return "wasserstein"
    return "jensenshannon"


def run_test(name: str, ref: ColumnProfile, cur: ColumnProfile, kind: str, options: DriftOptions) -> TestResult:
    """Run the configured (or default) test for one feature."""
    method = options.method_for(name, kind) or default_method(ref, cur, kind)
    threshold = options.threshold_for(name, kind, method)
    if kind == "numerical" and not (isinstance(ref, NumericProfile) and isinstance(cur, NumericProfile)):
        raise InvalidInput(f"column `{name}` holds text, so it cannot be tested as numerical")
    if method == "ks":
        score = _ks(name, ref, cur, kind)
    elif method == "wasserstein":
        if kind != "numerical":
            raise InvalidInput(f"wasserstein needs a numerical column; `{name}` is categorical")
        score = _normed_wasserstein(ref, cur)
    elif method in ("chisquare", "z"):
        keys, ref_counts, cur_counts = aligned_counts(ref, cur, name)
        score = (stats.chi_square_pvalue if method == "chisquare" else stats.z_test_pvalue)(ref_counts, cur_counts)
    else:
        ref_pct, cur_pct = binned_percents(ref, cur, kind, name)
        if method == "psi":
            score = stats.psi(stats.fill_zeroes(ref_pct), stats.fill_zeroes(cur_pct))
        else:
            score = stats.jensen_shannon(ref_pct, cur_pct)
    return TestResult(method, float(score), threshold, is_drifted(method, score, threshold),
                      effect_size(ref, cur, kind, method, score, name))


def effect_size(ref, cur, kind: str, method: str, score: float, name: str) -> Optional[float]:
    """Return a comparable size of change: normed Wasserstein (numbers) or Jensen-Shannon."""
    if kind == "numerical" and isinstance(ref, NumericProfile) and isinstance(cur, NumericProfile):
        return score if method == "wasserstein" else _normed_wasserstein(ref, cur)
    if method == "jensenshannon":
        return score
    _, ref_counts, cur_counts = aligned_counts(ref, cur, name)
    return stats.jensen_shannon(ref_counts, cur_counts)


def aligned_counts(ref: ColumnProfile, cur: ColumnProfile, name: str) -> tuple[list, np.ndarray, np.ndarray]:
    """Return sorted union of values and each side's counts on them."""
    ref_vc, cur_vc = _value_counts(ref, name), _value_counts(cur, name)
    keys = _sorted_keys(set(ref_vc) | set(cur_vc))
    return (keys, np.array([ref_vc.get(k, 0) for k in keys], dtype=float),
            np.array([cur_vc.get(k, 0) for k in keys], dtype=float))


def binned_percents(ref: ColumnProfile, cur: ColumnProfile, kind: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Return each side's share per bin: sturges bins over both sides for numerical features
    with more than 20 reference values, otherwise one bin per value (Evidently's get_binned_data)."""
    if kind == "numerical" and isinstance(ref, NumericProfile) and ref.n_unique() > BINNING_MIN_VALUES:
        edges = stats.sturges_edges(min(ref.minimum, cur.minimum), max(ref.maximum, cur.maximum),
                                    ref.count + cur.count)
        return ref.histogram(edges) / ref.count, cur.histogram(edges) / cur.count
    _, ref_counts, cur_counts = aligned_counts(ref, cur, name)
    return ref_counts / ref.count, cur_counts / cur.count


def _ks(name: str, ref: ColumnProfile, cur: ColumnProfile, kind: str) -> float:
    if kind != "numerical" or not isinstance(cur, NumericProfile):
        raise InvalidInput(f"the KS test needs a numerical column; `{name}` is categorical")
    if ref.exact and cur.exact:
        return stats.ks_test(ref.sorted, cur.sorted)[1]
    if ref.exact and cur.probe_lt is not None:
        _, ref_cdf = stats.ecdf_points(ref.sorted)
        d = stats.ks_statistic_from_counts(ref_cdf, cur.probe_lt, cur.probe_le, cur.count)
    else:  # both sides sketched: evaluate both CDFs on the merged bucket centres
        (rv, rw), (cv, cw) = ref.weighted_points(), cur.weighted_points()
        grid = np.union1d(rv, cv)
        ref_cdf = np.cumsum(rw)[np.searchsorted(rv, grid, "right") - 1] / rw.sum()
        cur_cdf = np.cumsum(cw)[np.searchsorted(cv, grid, "right") - 1] / cw.sum()
        d = float(np.max(np.abs(np.where(np.searchsorted(rv, grid, "right") > 0, ref_cdf, 0.0)
                                - np.where(np.searchsorted(cv, grid, "right") > 0, cur_cdf, 0.0))))
    return stats.ks_pvalue_asymptotic(d, ref.count, cur.count)


def _normed_wasserstein(ref: NumericProfile, cur: NumericProfile) -> float:
    if ref.exact and cur.exact:
        distance = stats.wasserstein_sorted(ref.sorted, cur.sorted)
    else:
        distance = stats.wasserstein_weighted(*ref.weighted_points(), *cur.weighted_points())
    return stats.normed_wasserstein(distance, ref.std)


def _value_counts(profile: ColumnProfile, name: str) -> dict:
    if isinstance(profile, CategoricalProfile):
        if profile.overflow:
            raise InvalidInput(f"column `{name}` has too many distinct values to compare as categories")
        return profile.counts
    if isinstance(profile, NumericProfile):
        try:
            return profile.value_counts()
        except ValueError:
            raise InvalidInput(f"column `{name}` has too many distinct values to compare as categories") from None
    raise InvalidInput(f"column `{name}` holds no values that can be compared")


def _union_unique(ref: ColumnProfile, cur: ColumnProfile) -> int:
    if isinstance(ref, NumericProfile) and isinstance(cur, NumericProfile):
        if ref.n_unique() > FEW_VALUES or cur.n_unique() > FEW_VALUES:
            return max(ref.n_unique(), cur.n_unique())
    return len(set(_value_counts(ref, "")) | set(_value_counts(cur, "")))


def _sorted_keys(keys: set) -> list:
    try:
        return sorted(keys)
    except TypeError:  # mixed types (e.g. 1 and "1"): order by text, stable across runs
        return sorted(keys, key=lambda k: (type(k).__name__, str(k)))
