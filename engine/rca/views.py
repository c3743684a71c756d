"""The ranker's residual views without a service graph: what each signal's dependencies cannot explain.

Moved out of ranker.py unchanged (``RankerConfig.graph_free`` picks the views); see the ranker's
docstring, step 4.
"""

from __future__ import annotations

import numpy as np

from engine.rca.dagsearch import search_dag
from engine.rca.grid import Grid
from engine.rca.orient import orient_by_shift
from engine.rca.pcgraph import learn_graph
from engine.rca.shift import innovation_peaks
from engine.rca.signals import Episode
from engine.rca.structure import parent_residual_peaks, parent_residuals, partial_residual_peaks, partial_residuals

Residual = dict[str, tuple[float, float]]


def graph_free_views(
    grid: Grid, episode: Episode, mode: str, series: dict[int, np.ndarray], shift_orient: bool,
    anomalous: float, drop_weight: float,
) -> list[Residual]:
    """Return the views of each signal's unexplained part without a graph, by ``RankerConfig.graph_free``.

    Views whose residual series can be conditioned further (explaining away) are put in
    ``series`` by their index in the returned list.
    """
    presid = partial_residuals(grid, episode.baseline_rows)
    partial = partial_residual_peaks(grid, episode.baseline_rows, episode.episode_rows, presid, episode.heavy)
    if presid is not None and mode != "innovation":
        series[0] = presid  # every view is conditioned on the picks, the partial one too
    if mode == "partial":
        return [partial]
    if mode == "learned":
        learned = None
        if shift_orient:
            learned = search_dag(grid.values, episode.baseline_rows, episode.episode_rows)
        exact = learned is not None
        if learned is None:  # too many signals for the exact search (or not asked for): PC
            learned = learn_graph(grid.values[episode.baseline_rows])
            if learned is None:  # too little baseline to test independences: the shrunk model still works
                return [partial]
            if shift_orient:
                learned = orient_by_shift(grid.values, episode.baseline_rows, episode.episode_rows, learned)
        moved = {j for j, n in enumerate(grid.names) if episode.stats[n].deviation >= anomalous}
        # Two views: the Markov blanket dilutes a root cause through its children, the
        # learned parents are often wrong; a cause unexplained under both is robust.
        # The learned-parent view also conditions on the signal's own past (a front end
        # summing many moved causes otherwise keeps their echo as its own residual).
        # PC's orientations are often wrong: there a still signal is regressed on still ones only
        # (CIRCA-style 50 nodes, training seeds 3001-3004: +0.002..+0.012 Avg@5 with the lighter
        # shrinkage in structure.py; at 10 nodes the exact search's parents lost 0.002-0.007 so).
        resid = parent_residuals(grid, episode.baseline_rows, learned, moved, still_given_still=not exact)
        series[1] = resid
        return [partial, parent_residual_peaks(grid, episode.baseline_rows, episode.episode_rows, learned, moved, resid,
                                               heavy=episode.heavy)]
    inn = innovation_peaks(grid, episode.baseline_rows, episode.episode_rows, drop_weight)
    if inn is None:  # baseline too short for the covariance: the shrunk model still works
        return [partial]
    return [inn] if mode == "innovation" else [partial, inn]
