"""The ranker's last step: rules that read metric names (latency, errors, CPU, memory) in order.

Each rule (service_evidence.py) re-hands scores among signals of a kind; the order matters:
amplification and timeouts first (latency and errors along callers), then error order and
onset order, and the resource rules last, so a resource that explains its service's
symptoms ends above them.  A resource that started clearly after the incident's first
deviating symptom (``late_resources``) is treated as an effect and gets no resource boost.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from engine.rca.grid import Grid
from engine.rca.service_evidence import (
    ONSET_SLACK_STEPS,
    SUBSTANTIAL,
    absolute_rise,
    amplification_order,
    error_order,
    is_latency,
    late_resources,
    onset_first,
    relative_rise,
    resource_led,
    resource_support,
    timeouts_below_leader,
)
from engine.rca.signals import Episode
from engine.rca.types import Evidence, split_name

Scored = list[tuple[float, str, bool, Evidence]]


class RuleSwitches(Protocol):
    """The ``RankerConfig`` fields these rules read (a protocol: the ranker imports this module)."""

    @property
    def amplification(self) -> bool: ...
    @property
    def timeouts(self) -> bool: ...
    @property
    def error_order(self) -> bool: ...
    @property
    def onset_first(self) -> str: ...
    @property
    def late_resource_steps(self) -> int: ...
    @property
    def resource_led(self) -> bool: ...
    @property
    def resource_weight(self) -> float: ...
    @property
    def onset_rise_gate(self) -> bool: ...


def _apply(scored: Scored, new: dict[str, float]) -> Scored:
    """Return ``scored`` with each signal's score replaced by ``new``'s."""
    return [(new[name], name, c, ev) for _, name, c, ev in scored]


def service_rules(
    scored: Scored, grid: Grid, episode: Episode, onsets: dict[str, float], devs: dict[str, float],
    config: RuleSwitches, anomalous: float,
) -> Scored:
    """Apply the rules that read metric names (service_evidence.py) to the scored signals, in order."""
    step = grid.step
    # Metric names are trusted only on series in their own units: latency, error rates and
    # counts never go below zero, while a standardised or signed series (CIRCA's) carries
    # names as labels only, and the service rules below leave it alone.
    raw = {n for j, n in enumerate(grid.names) if grid.values[episode.baseline_rows, j].min(initial=0.0) >= 0}
    if config.amplification:
        rise = relative_rise(grid.values, episode.baseline_rows, episode.episode_rows)
        moved = {n: float(r) for n, r in zip(grid.names, rise)
                 if np.isfinite(r) and r > 0 and episode.stats[n].up >= anomalous}
        arise = absolute_rise(grid.values, episode.baseline_rows, episode.episode_rows)
        absolute = {n: float(r) for n, r in zip(grid.names, arise) if n in moved}
        scored = _apply(scored, amplification_order({s[1]: s[0] for s in scored}, moved, onsets, step, absolute))
        if config.timeouts:
            scored = _apply(scored, timeouts_below_leader({s[1]: s[0] for s in scored}, moved, onsets, step))
    if config.error_order:
        arise = absolute_rise(grid.values, episode.baseline_rows, episode.episode_rows)
        moved = {n: float(r) for n, r in zip(grid.names, arise)
                 if np.isfinite(r) and r > 0 and episode.stats[n].up >= anomalous and n in raw}
        scored = _apply(scored, error_order({s[1]: s[0] for s in scored}, moved, onsets, step))
    if config.onset_first:
        # Only rises are ordered by onset: a slowdown or failures spread up the callers over time,
        # while a latency or error rate that fell (less traffic reaching a service) spreads nothing.
        rising = {n: t for n, t in onsets.items() if n in raw and episode.stats[n].up >= episode.stats[n].down}
        if config.onset_rise_gate:
            # A latency that barely rose for its level (a caller holding its callee's added time,
            # or noise) often starts a step early by chance: it does not jump the callee by onset.
            minor = _minor_latencies(grid, episode, anomalous, rising, step)
            rising = {n: t for n, t in rising.items() if n not in minor}
        scored = _apply(scored, onset_first({s[1]: s[0] for s in scored}, rising, step, config.onset_first == "symptoms"))
    if config.late_resource_steps >= 0:
        # A resource that moved after the incident's first symptom is its effect (a caller's
        # memory or CPU drifting, GC under retries), not evidence that it started the incident.
        late = late_resources(devs, {n: t for n, t in onsets.items() if n in raw}, anomalous, step,
                              config.late_resource_steps)
        devs = {n: (0.0 if n in late else d) for n, d in devs.items()}
    if config.resource_led:
        scored = _apply(scored, resource_led({s[1]: s[0] for s in scored}, devs, onsets, anomalous, step))
    if config.resource_weight > 0:
        scored = _apply(scored, resource_support({s[1]: s[0] for s in scored}, devs, anomalous,
                                                 config.resource_weight, onsets, step))
    return scored



def _minor_latencies(grid: Grid, episode: Episode, anomalous: float, onsets: dict[str, float], step: float
                     ) -> set[str]:
    """Return the moved latencies that rose by under ``SUBSTANTIAL`` of the largest relative rise and did not lead.

    A caller holds its callee's added time on top of its own work, so its rise is the smaller
    fraction of its level (as in ``amplification_order``); its onset a step or two ahead of the
    latencies that rose most is within onset noise (``ONSET_SLACK_STEPS``) and says little.  A
    latency that started clearly before all of them (a callee whose callers' retries amplified
    their rise by more) keeps its place in the onset order.
    """
    rise = relative_rise(grid.values, episode.baseline_rows, episode.episode_rows)
    moved = {n: float(r) for n, r in zip(grid.names, rise)
             if np.isfinite(r) and r > 0 and episode.stats[n].up >= anomalous and is_latency(split_name(n)[1])}
    top = max(moved.values(), default=0.0)
    major = [onsets[n] for n, r in moved.items() if r >= SUBSTANTIAL * top and n in onsets]
    lead = min(major, default=float("inf")) - ONSET_SLACK_STEPS * step
    return {n for n, r in moved.items() if r < SUBSTANTIAL * top and not onsets.get(n, lead) < lead}
