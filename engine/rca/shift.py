"""Graph-free root-cause evidence: the innovation of each moved signal given the still ones.

In a linear structural model a fault at root cause ``r`` changes only the mechanism of
``r``: the signals that did not move are its non-descendants, and every descendant, given
``r`` and those still signals, keeps its baseline conditional distribution.  By the
chain rule of the Gaussian likelihood, the hypothesis "``r`` alone shifted" explains an
incident row best exactly when the standardised residual of ``r`` regressed on the still
signals (its *innovation*) is largest, since that residual and the descendants'
unexplained part add up to a total that is the same for every candidate.  This needs no
graph: the regressions come from the baseline covariance, and "still" is read off each
row (``|z| < MOVED``), so the parents of the root cause (which do not move) are
conditioned on while its children (which do) are not, unlike a regression on every
other signal, where children that nearly copy the root cause would explain it away.

Several root causes are peeled greedily within a row: once the best candidate is chosen
it joins the conditioning set, so the symptoms it explains drop and a second, independent
root cause surfaces.  Scores within a row never increase along the greedy order.
"""

from __future__ import annotations

import numpy as np

from engine.rca.grid import Grid

MOVED = 2.5  # |z| at or above which a signal counts as moved in a row
RIDGE = 1e-3  # small: near-deterministic links (a child copying its parent) must stay sharp
GREEDY_STEPS = 5  # root causes peeled per row; the ranking is judged on its top five
MIN_ROWS_PER_SIGNAL = 2.0


def _innovations(cov: np.ndarray, row: np.ndarray, cond: list[int], cand: list[int]) -> np.ndarray:
    """Return the standardised residual of each ``cand`` column regressed on ``cond``."""
    var = np.diag(cov)[cand]
    if not cond:
        return row[cand] / np.sqrt(var)
    snr = cov[np.ix_(cond, cand)]
    coef = np.linalg.solve(cov[np.ix_(cond, cond)], snr)
    resid = row[cand] - row[cond] @ coef
    var = var - np.einsum("ij,ij->j", snr, coef)
    return resid / np.sqrt(np.maximum(var, RIDGE))


def _row_scores(cov: np.ndarray, row: np.ndarray, drop_weight: float) -> dict[int, float]:
    """Return the signed innovation of every moved signal in one row (greedy peeling)."""
    mag = np.maximum(row, -drop_weight * row)
    cand = [int(j) for j in np.flatnonzero(mag >= MOVED)]
    cond = [int(j) for j in np.flatnonzero(mag < MOVED)]
    out: dict[int, float] = {}
    cap = np.inf
    for step in range(len(cand)):
        u = _innovations(cov, row, cond, cand)
        weighted = np.maximum(u, -drop_weight * u)
        if step >= GREEDY_STEPS:
            for k, j in enumerate(cand):
                out[j] = float(np.sign(u[k]) * min(cap, abs(u[k])))
            break
        k = int(np.argmax(weighted))
        cap = min(cap, abs(float(u[k])))
        out[cand[k]] = float(np.sign(u[k]) * cap)
        cond.append(cand.pop(k))
    return out


def innovation_peaks(
    grid: Grid, baseline_rows: np.ndarray, episode_rows: np.ndarray, drop_weight: float = 0.5
) -> dict[str, tuple[float, float]] | None:
    """Return per signal the (rise, drop) of its innovation given the still signals.

    Units are baseline standard deviations of that innovation; a signal that never moves
    keeps (0, 0).  Returns None when the baseline is too short for the covariance.
    """
    names = grid.names
    base = grid.values[baseline_rows]
    if base.shape[0] < max(8, MIN_ROWS_PER_SIGNAL * len(names)):
        return None
    mean, std = base.mean(axis=0), base.std(axis=0)
    std[std <= 0] = 1.0
    z = (grid.values - mean) / std
    zb = z[baseline_rows]
    cov = zb.T @ zb / zb.shape[0] + RIDGE * np.eye(len(names))
    up = np.zeros(len(names))
    down = np.zeros(len(names))
    for r in np.flatnonzero(episode_rows):
        for j, u in _row_scores(cov, z[r], drop_weight).items():
            up[j], down[j] = max(up[j], u), max(down[j], -u)
    return {n: (float(up[k]), float(down[k])) for k, n in enumerate(names)}
