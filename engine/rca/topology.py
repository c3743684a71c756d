"""Service-graph reasoning: what each signal's dependencies predict, and who depends on whom.

The regression-based test follows CIRCA's idea: learn on the baseline how a signal follows
its own past and the signals of the services it depends on; during the incident, the part
the model cannot predict is the signal's *own* deviation.  A symptom is predicted by its
deviating dependency and keeps a small residual; the root cause does not.
"""

from __future__ import annotations

import numpy as np

from engine.rca.grid import Grid
from engine.rca.robust import robust_location_scale
from engine.rca.types import split_name

RIDGE = 1e-3  # keeps the fit stable when a dependency's signals are collinear


def dependents_closure(graph: dict[str, list[str]]) -> dict[str, set[str]]:
    """Map each service to every service that (transitively) depends on it."""
    direct: dict[str, set[str]] = {}
    for service, deps in graph.items():
        for dep in deps:
            direct.setdefault(dep, set()).add(service)
    closure: dict[str, set[str]] = {}

    def visit(service: str, seen: set[str]) -> set[str]:
        if service in closure:
            return closure[service]
        out: set[str] = set()
        for child in direct.get(service, ()):
            if child in seen:
                continue  # a cycle in a hand-written graph must not recurse for ever
            out |= {child} | visit(child, seen | {child})
        closure[service] = out
        return out

    for service in set(graph) | set(direct):
        visit(service, {service})
    return closure


def residual_peaks(
    grid: Grid,
    baseline_rows: np.ndarray,
    episode_rows: np.ndarray,
    graph: dict[str, list[str]] | None,
) -> dict[str, tuple[float, float]]:
    """Return per signal the (rise, drop) of its unexplained part during the episode.

    Regressors are the signal's previous value and, when a graph is given, the current
    values of every signal of the services it depends on.  Units are robust sigmas of
    the baseline residual.
    """
    columns: dict[str, list[int]] = {}
    for col, name in enumerate(grid.names):
        columns.setdefault(split_name(name)[0], []).append(col)
    fit_rows = baseline_rows.copy()
    fit_rows[0] = False  # the first row has no previous value
    out = {}
    for col, name in enumerate(grid.names):
        y = grid.values[:, col]
        parents = [c for dep in (graph or {}).get(split_name(name)[0], []) for c in columns.get(dep, [])]
        lagged = np.concatenate([[y[0]], y[:-1]])
        feats = np.column_stack([grid.values[:, parents], lagged])
        a, b = feats[fit_rows], y[fit_rows]
        if a.shape[0] <= 2 * a.shape[1]:
            resid = y.copy()  # too little history to fit: fall back to the raw deviation
        else:
            mu, ymu = a.mean(axis=0), b.mean()
            scale = a.std(axis=0)
            scale[scale <= 0] = 1.0
            an = (a - mu) / scale  # ridge on standardised regressors treats them alike
            gram = an.T @ an + RIDGE * an.shape[0] * np.eye(an.shape[1])
            coef = np.linalg.solve(gram, an.T @ (b - ymu)) / scale
            resid = y - ymu - (feats - mu) @ coef
        med, sigma = robust_location_scale(resid[baseline_rows])
        z = (resid[episode_rows] - med) / sigma
        out[name] = (float(max(z.max(), 0.0)), float(max(-z.min(), 0.0))) if z.size else (0.0, 0.0)
    return out
