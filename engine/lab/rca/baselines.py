"""Reference rankers for evaluation: BARO's RobustScorer, NSigma and a seeded random ranking."""

from __future__ import annotations

import numpy as np

from engine.rca.grid import build_grid
from engine.rca.types import RcaInput


def baro(inp: RcaInput) -> list[str]:
    """Rank series as BARO's RobustScorer: max robust z after detection, baseline before it.

    Like the published code the score is signed (an increase ranks high, a drop does not)
    and the baseline is everything before the detection time, anomalous points included.
    """
    return _split_scorer(inp, robust=True)


def nsigma(inp: RcaInput) -> list[str]:
    """Rank series as NSigma: max mean/std z-score after detection."""
    return _split_scorer(inp, robust=False)


def _split_scorer(inp: RcaInput, robust: bool) -> list[str]:
    grid = build_grid(inp.series)
    before = grid.times < inp.detect_time
    after = ~before
    scores = []
    for col, name in enumerate(grid.names):
        base, test = grid.values[before, col], grid.values[after, col]
        if base.size == 0 or test.size == 0 or np.ptp(grid.values[:, col]) == 0:
            scores.append((-np.inf, name))
            continue
        if robust:
            q75, q25 = np.percentile(base, [75, 25])
            center, scale = float(np.median(base)), float(q75 - q25)
        else:
            center, scale = float(base.mean()), float(base.std())
        if scale <= 0:
            scale = 1.0  # what scikit-learn's scalers do with a zero spread
        scores.append((float(np.max((test - center) / scale)), name))
    # Stable order for ties: by name, then score descending.
    scores.sort(key=lambda s: s[1])
    scores.sort(key=lambda s: -s[0])
    return [name for _, name in scores]


def random_ranking(inp: RcaInput, rng: np.random.Generator) -> list[str]:
    """Return a uniformly random permutation of the series names."""
    names = sorted(inp.series)
    return [names[i] for i in rng.permutation(len(names))]
