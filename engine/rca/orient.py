"""Orient learned edges by sparse mechanism shift: the fault is an intervention.

PC on Gaussian baseline data orients an edge only through colliders and Meek's rules, and
a collider found on a slightly wrong skeleton propagates wrong orientations.  The anomaly
episode carries what the baseline cannot: a fault changes the mechanism of its root
causes only, while every other signal keeps its baseline conditional given its true
parents.  Among orientations of the learned skeleton, the true one therefore shows the
fewest shifted mechanisms in the episode.  For a root ``r`` and its effect ``c``,
``r -> c`` shifts ``r`` alone; ``c -> r`` shifts ``c`` (now without a moved parent) and
leaves part of ``r``'s jump in ``r`` given ``c``.

A signal's mechanism under a parent set is its regression on those parents and its own
previous value, fitted on the baseline.  Its cost joins two likelihoods:

* the episode's shift: ``log(1 + z^2)`` summed over the episode rows of the standardised
  residual (a Cauchy-like likelihood, so one huge jump counts about as much as two large
  ones and noise rows count little);
* the baseline fit, ``baseline_weight * rows / 2 * log(residual variance)`` (here
  ``BASELINE_WEIGHT``): equal for orientations PC cannot tell apart, it keeps the
  colliders the baseline does support.
  Without it the shift alone overfits the noise of weak faults: on the true skeleton,
  shift alone scored 0.842 Avg@5 (CIRCA-style 10 nodes, seed 102) against 0.915 with it
  (true parents: 0.919).

Up to ``dagsearch.MAX_EXACT`` signals the ranker no longer orients PC's skeleton: it
searches every DAG exactly with the same mechanism cost at full baseline weight plus a BIC
penalty (``dagsearch.py``).  Larger graphs start from PC's orientation and apply single
edge reversals that keep the graph acyclic, best first, while they lower the total cost.

Graph-free Avg@5, CIRCA-style cases, PC's orientation -> this one: 10 nodes (then by an
exact order search on PC's skeleton), design seeds 101 / 102 / 103: 0.894 / 0.852 / 0.894
-> 0.910 / 0.880 / 0.901, held-out 9101: 0.897 -> 0.897; 50 nodes (local search) 202:
0.897 -> 0.898, held-out 9202: 0.911 -> 0.926.
"""

from __future__ import annotations

import numpy as np

from engine.rca.pcgraph import LearnedGraph

# Weight of the baseline log-likelihood against the episode's when orienting a fixed skeleton.
# CIRCA-style 10 nodes (exact orientation of PC's skeleton, before dagsearch.py), design seeds
# 101-103, mean Avg@5: 0.03 -> 0.897, 0.1 -> 0.897, 1.0 -> 0.893 (PC's orientation: 0.880).
BASELINE_WEIGHT = 0.1
RIDGE = 1e-6  # relative: collinear parents must stay solvable
MIN_GAIN = 1.0  # a reversal in the local search must lower the total by this much
MAX_STEPS = 200  # reversals per graph; each one strictly lowers the total, so this is only a guard


class MechanismCost:
    """Cost of a signal's mechanism under a parent set: episode shift plus baseline misfit (cached)."""

    def __init__(
        self, values: np.ndarray, baseline_rows: np.ndarray, episode_rows: np.ndarray,
        baseline_weight: float = BASELINE_WEIGHT,
    ) -> None:
        self._p = values.shape[1]
        self._weight = baseline_weight
        lagged = np.vstack([values[:1], values[:-1]])
        feats = np.hstack([values, lagged])
        fit = baseline_rows.copy()
        fit[0] = False  # the first row has no previous value
        base = feats[fit]
        mean = base.mean(axis=0)
        scale = base.std(axis=0)
        scale[scale <= 0] = 1.0
        z = (base - mean) / scale
        self._rows = z.shape[0]
        self._cov = z.T @ z / z.shape[0]
        self._episode = (feats[episode_rows] - mean) / scale
        self._cache: dict[tuple[int, frozenset[int]], float] = {}

    @property
    def rows(self) -> int:
        """Return the number of baseline rows the mechanisms are fitted on."""
        return self._rows

    def __call__(self, j: int, parents: frozenset[int]) -> float:
        """Return the cost of signal ``j`` regressed on ``parents`` and its own previous value."""
        key = (j, parents)
        if key not in self._cache:
            self.prefetch([key])
        return self._cache[key]

    def _costs(self, resid: np.ndarray, var: np.ndarray) -> np.ndarray:
        """Return episode shift plus weighted baseline misfit per column of ``resid``."""
        return np.log1p(resid**2 / var).sum(axis=0) + self._weight * 0.5 * self._rows * np.log(var)

    def prefetch(self, pairs: list[tuple[int, frozenset[int]]]) -> None:
        """Compute the costs of many (signal, parents) pairs in one batched solve, into the cache.

        Regressor lists are padded to one length; a pad gets an identity row and column
        and a zero right-hand side, so its coefficient is zero.
        """
        todo = list({key for key in pairs if key not in self._cache})
        if not todo:
            return
        width = 1 + max(len(ps) for _, ps in todo)
        idx = np.zeros((len(todo), width), dtype=np.int64)
        inc = np.zeros((len(todo), width), dtype=bool)
        for row, (j, ps) in enumerate(todo):
            regs = [*sorted(ps), self._p + j]
            idx[row, : len(regs)] = regs
            inc[row, : len(regs)] = True
        target = np.array([j for j, _ in todo])
        pair = inc[:, :, None] & inc[:, None, :]
        grams = np.where(pair, self._cov[idx[:, :, None], idx[:, None, :]], 0.0)
        grams += (np.where(inc, RIDGE, 1.0)[:, :, None]) * np.eye(width)
        rhs = np.where(inc, self._cov[idx, target[:, None]], 0.0)
        coef = np.linalg.solve(grams, rhs[:, :, None])[:, :, 0]
        var = np.maximum(self._cov[target, target] - (rhs * coef).sum(axis=1), 1e-9)
        fitted = np.einsum("rml,ml->rm", self._episode[:, idx], coef)
        resid = self._episode[:, target] - fitted
        costs = self._costs(resid, var)
        self._cache.update(zip(todo, costs.tolist()))

    def subset_costs(self, j: int, cands: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Return the bit mask of every subset of ``cands`` and the cost of ``j`` under it.

        One batched solve: an excluded regressor gets an identity row and column, so its
        coefficient is zero and the others are those of the regression without it.
        """
        d = len(cands)
        idx = [*cands, self._p + j]
        sets = np.arange(1 << d)
        inc = np.ones((sets.size, d + 1), dtype=bool)
        inc[:, :d] = (sets[:, None] >> np.arange(d)) & 1 == 1
        gram = self._cov[np.ix_(idx, idx)] + RIDGE * np.eye(d + 1)
        grams = (inc[:, :, None] & inc[:, None, :]) * gram  # a product: np.where is 8x slower here
        diag = np.arange(d + 1)
        grams[:, diag, diag] += ~inc
        rhs = inc * self._cov[idx, j]
        coef = np.linalg.solve(grams, rhs[:, :, None])[:, :, 0]
        var = np.maximum(self._cov[j, j] - (rhs * coef).sum(axis=1), 1e-9)
        resid = self._episode[:, j][:, None] - self._episode[:, idx] @ coef.T
        bits = np.array([1 << k for k in cands], dtype=np.int64)
        masks = inc[:, :d] @ bits if d else np.zeros(1, dtype=np.int64)
        return masks, self._costs(resid, var)


def orient_by_shift(
    values: np.ndarray, baseline_rows: np.ndarray, episode_rows: np.ndarray, learned: LearnedGraph
) -> LearnedGraph:
    """Return ``learned``'s skeleton re-oriented by acyclic edge reversals that lower the cost.

    ``values`` holds every grid row; the baseline rows fit the mechanisms, the episode
    rows measure their shifts.  Every edge comes back directed (none undirected).
    """
    if not episode_rows.any() or not baseline_rows.any():
        return learned
    return _local_search(MechanismCost(values, baseline_rows, episode_rows), learned)


def _local_search(cost: MechanismCost, learned: LearnedGraph) -> LearnedGraph:
    """Return PC's orientation improved by acyclic single-edge reversals, best first."""
    p = len(learned.parents)
    parents = [set(ps) for ps in learned.parents]
    # Undirected edges first go the cheaper way alone; the reversals then fix them jointly.
    for a in range(p):
        for b in sorted(learned.undirected[a]):
            if b <= a or a in parents[b] or b in parents[a]:
                continue
            ab = cost(b, frozenset(parents[b] | {a})) + cost(a, frozenset(parents[a]))
            ba = cost(a, frozenset(parents[a] | {b})) + cost(b, frozenset(parents[b]))
            if (ab <= ba or _reaches(parents, a, b)) and not _reaches(parents, b, a):
                parents[b].add(a)
            else:
                parents[a].add(b)
    edges = [(a, b) for b in range(p) for a in parents[b]]
    cost.prefetch([(j, frozenset(parents[j])) for j in range(p)]
                  + [(a, frozenset(parents[a] | {b})) for a, b in edges]
                  + [(b, frozenset(parents[b] - {a})) for a, b in edges])
    own = [cost(j, frozenset(parents[j])) for j in range(p)]

    def gain(a: int, b: int) -> float:
        """Return how much reversing ``a -> b`` lowers the total."""
        return own[a] + own[b] - cost(a, frozenset(parents[a] | {b})) - cost(b, frozenset(parents[b] - {a}))

    gains = {(a, b): gain(a, b) for a, b in edges}
    for _ in range(MAX_STEPS):
        # The best reversal that keeps the graph acyclic (reversing a -> b into b -> a).
        ranked = sorted(((g, e) for e, g in gains.items() if g > MIN_GAIN), reverse=True)
        move = next((e for _, e in ranked if not _reaches(parents, *e, skip_direct=True)), None)
        if move is None:
            break
        a, b = move
        parents[b].discard(a)
        parents[a].add(b)
        own[a], own[b] = cost(a, frozenset(parents[a])), cost(b, frozenset(parents[b]))
        # Only edges at a or b change their gain.
        del gains[(a, b)]
        for x, y in [(k, j) for j in (a, b) for k in parents[j]] + [(j, c) for j in (a, b) for c in range(p)
                                                                     if j in parents[c]]:
            gains[(x, y)] = gain(x, y)
    return LearnedGraph(parents, [set() for _ in range(p)])


def _reaches(parents: list[set[int]], src: int, dst: int, skip_direct: bool = False) -> bool:
    """Return True when a directed path leads from ``src`` to ``dst`` (other than the edge
    ``src -> dst`` itself when ``skip_direct``)."""
    # Walk up from ``dst`` through parents: no children lists to build per call.
    stack = [k for k in parents[dst] if not (skip_direct and k == src)]
    seen = {dst}
    while stack:
        u = stack.pop()
        if u == src:
            return True
        if u not in seen:
            seen.add(u)
            stack.extend(parents[u])
    return False
