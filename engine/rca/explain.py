"""Explaining away: re-rank the candidates after each pick by what the picks cannot explain.

A fault at several root causes is common (CIRCA's simulation draws 1 + Poisson(1) of
them), and AC@k asks for all of them.  The first cause's symptoms move strongly, so a
ranking by deviation puts them above the second cause.  After the top candidate is
chosen, every other signal is regressed on the chosen ones (their current and previous
values, coefficients fitted on the baseline, all signals in one least-squares solve);
a signal's deviation is replaced by the peak of that residual, and the next candidate is
the best under the new score.  Symptoms of a chosen cause lose their deviation; a second
cause keeps its own jump.  Conditioning may only lower a deviation: an *upstream* signal
regressed on a chosen cause would otherwise gain a spurious jump (the cause's fault
predicted back onto it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.rca.robust import IQR_TO_SIGMA

RIDGE = 1e-3  # relative to the row count: chosen signals can be collinear
MAX_PICKS = 5  # the ranking is judged on its top five
MIN_BASE_ROWS = 30  # below this the regressions say nothing


@dataclass(frozen=True)
class Component:
    """One factor of the score: per-column series whose episode peak enters as ``peak ** weight``."""

    series: np.ndarray  # (rows, columns) aligned with the grid: raw values or a residual
    peaks: dict[str, float]  # the peak used in the score, per signal name
    weight: float


def peaks_given(
    values: np.ndarray,
    target: np.ndarray,
    baseline_rows: np.ndarray,
    episode_rows: np.ndarray,
    chosen: list[int],
    drop_weight: float,
    noise: np.ndarray | None = None,
) -> np.ndarray:
    """Return per column of ``target`` the peak deviation (rise, or drop times
    ``drop_weight``) of its part that the ``chosen`` columns of ``values`` (current and
    previous rows, and with ``noise`` their own-noise estimates) do not explain, in robust sigmas
    of the same residual over the baseline."""
    lagged = np.vstack([values[:1], values[:-1]])
    feats = np.hstack([values[:, chosen], lagged[:, chosen]] + ([] if noise is None else [noise[:, chosen]]))
    fit = baseline_rows.copy()
    fit[0] = False  # the first row has no previous value
    mu, ymu = feats[fit].mean(axis=0), target[fit].mean(axis=0)
    scale = feats[fit].std(axis=0)
    scale[scale <= 0] = 1.0
    f = (feats - mu) / scale
    a = f[fit]
    gram = a.T @ a + RIDGE * a.shape[0] * np.eye(a.shape[1])
    coef = np.linalg.solve(gram, a.T @ (target[fit] - ymu))
    resid = target - ymu - f @ coef
    base = resid[baseline_rows]
    med = np.median(base, axis=0)
    q75, q25 = np.percentile(base, [75, 25], axis=0)
    sigma = (q75 - q25) / IQR_TO_SIGMA
    fallback = base.std(axis=0)
    sigma = np.where(sigma > 0, sigma, np.where(fallback > 0, fallback, 1e-6))
    z = (resid[episode_rows] - med) / sigma
    if not z.size:
        return np.zeros(target.shape[1])
    return np.maximum(np.maximum(z.max(axis=0), 0.0), drop_weight * np.maximum(-z.min(axis=0), 0.0))


def explain_away(
    values: np.ndarray,
    names: list[str],
    baseline_rows: np.ndarray,
    episode_rows: np.ndarray,
    scores: dict[str, float],
    components: list[Component],
    drop_weight: float,
    min_score: float,
    noise: np.ndarray | None = None,
) -> dict[str, float]:
    """Return new scores whose descending order is the greedy explaining-away ranking.

    After each pick, every other candidate's ``components`` are replaced by what the
    picks leave unexplained (never raised).  Picks stop at ``MAX_PICKS`` distinct
    services or when the best remaining score falls below ``min_score`` (nothing left
    worth explaining).  Every returned score is at most the input score and a pick's
    score is at least every later one, so sorting by score reproduces the greedy order.

    ``noise`` (rows, columns): each signal's estimated own noise (its residual given its learned
    parents and past).  The picks' noise is a regressor too: a parent ``p`` of a root cause ``c``
    carries ``-A_cp e_c / D_c`` of ``c``'s own noise in its partial residual (its row of the
    precision holds its children's noise), and that residual is uncorrelated with every raw
    signal over the baseline by construction, so the raw picks alone explain none of it.
    """
    out = dict(scores)
    if int(baseline_rows.sum()) < MIN_BASE_ROWS or len(scores) < 2:
        return out
    col = {n: j for j, n in enumerate(names)}
    remaining = {n for n in scores if n in col}
    chosen: list[int] = []
    services: set[str] = set()
    while remaining and len(services) < MAX_PICKS:
        pick = min(remaining, key=lambda n: (-out[n], n))
        if out[pick] < min_score:
            break
        remaining.discard(pick)
        chosen.append(col[pick])
        services.add(pick.partition("_")[0])
        live = sorted(remaining)
        cols = [col[n] for n in live]
        factor = np.ones(len(live))
        for comp in components:
            given = peaks_given(values, comp.series[:, cols], baseline_rows, episode_rows, chosen, drop_weight, noise)
            peaks = np.array([comp.peaks[n] for n in live])
            ratio = np.minimum(np.divide(given, peaks, out=np.ones_like(given), where=peaks > 0), 1.0)
            factor *= ratio**comp.weight
        for n, f in zip(live, factor):
            out[n] = min(out[n], scores[n] * float(f))
    return out
