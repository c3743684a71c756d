"""Rank root-cause hypotheses for an incident from metrics, topology and change events.

Pipeline (all pure, no I/O):
1. Put the series on one grid; drop flat ones (they cannot have caused anything).
2. Find the anomaly episode in the data (``signals.analyse``): the baseline ends before a
   search horizon ahead of detection, so a late detection neither pollutes the baseline
   nor pushes the fault out of the scored window.  When nothing in that horizon is more
   anomalous than the baseline's worst row, the detection anchors the episode instead
   (heavy-tailed metrics would otherwise open it at an old noise spike).
3. Deviation: peak robust z (median / IQR) in the episode.  Rises count fully, drops at
   ``DROP_WEIGHT``: resource and latency faults push metrics up, while drops (traffic,
   throughput) are more often what callers see downstream.
4. Topology: the residual of each signal given its own past and its dependencies
   (``topology.residual_peaks``); without a graph, given every other signal at the
   same time, with the structure learned from the baseline
   (``structure.partial_residual_peaks``) and given its learned parents: up to 12 signals
   the DAG of lowest baseline BIC plus mechanism shift in the episode, searched exactly
   (``dagsearch.py``), beyond that PC's edges oriented by the fewest mechanism shifts
   (``orient.py``: the fault is an intervention on the root causes only;
   ``RankerConfig.graph_free`` can switch to the innovation given the still signals,
   ``shift.innovation_peaks``).  The score is the geometric mean of deviation and
   residual, so a candidate must both move and be unexplained by its upstream.
5. Onset ordering and change-event proximity raise candidates that moved first or whose
   service changed just before the episode; alerts count as onsets.
6. Explaining away (``explain.py``): after the top pick, every other candidate's
   deviation and graph-free residuals (partial and learned-parent) are replaced by what
   the picks leave unexplained, and the next pick is the best under the new score;
   repeated for the top five services.  A second root cause then ranks above the first one's symptoms.
7. Confidence: how strong the deviation is times the softmax share of the score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.rca.blas import bounded_blas
from engine.rca.explain import Component, explain_away
from engine.rca.grid import build_grid
from engine.rca.signals import Episode, analyse
from engine.rca.views import graph_free_views
from engine.rca.service_rules import service_rules
from engine.rca.topology import dependents_closure, residual_peaks
from engine.rca.types import ChangeEvent, Evidence, Hypothesis, RcaInput, Series, split_name

DROP_WEIGHT = 0.5
ANOMALOUS = 3.0  # robust sigmas: the usual "3 sigma" line for calling a signal deviating


@dataclass(frozen=True)
class RankerConfig:
    """Knobs of the ranker; defaults are used everywhere unless a caller has a reason."""

    lookback_seconds: float | None = None  # onset search horizon; None = from the data
    lead_bonus: float = 0.25  # weight for moving before the other deviating signals
    change_bonus: float = 1.0  # weight for a change on the service just before onset
    change_decay_seconds: float = 900.0
    temperature: float = 2.0  # softmax temperature in robust sigmas
    # Graph-free residual: "partial" (regression on every other signal, structure.py),
    # "learned" (partial combined with the regression on PC-learned parents, pcgraph.py),
    # "innovation" (regression on the signals that stayed still, shift.py) or "both".
    graph_free: str = "learned"
    # Re-rank after each pick by what the picks leave unexplained (explain.py): finds the
    # second and third root causes of a multi-cause fault under their first one's symptoms.
    explain_away: bool = True
    # Learn the structure with the episode too: up to 12 signals the DAG of lowest baseline BIC
    # plus mechanism shift, searched exactly (dagsearch.py); beyond, PC's edges re-oriented by
    # the fewest mechanism shifts (orient.py).  False: PC's graph alone.
    shift_orient: bool = True
    # A deviating CPU/memory signal gains this share of its own service's best symptom score
    # (service_evidence.py): resource faults surface as latency and errors. 0 disables.
    resource_weight: float = 1.0
    # Latency signals on a ratio scale: the larger relative rise that did not start later takes
    # the larger score (service_evidence.amplification_order). False disables.
    amplification: bool = True
    # Error signals: the larger absolute rise that did not start later takes the larger score
    # (service_evidence.error_order): callers fail less than the callee they retry on.
    error_order: bool = True
    # A resource that moved with its own service's symptoms outranks every symptom that did not
    # start before it (service_evidence.resource_led).
    resource_led: bool = True
    # Strong signals ordered by onset (service_evidence.onset_first): "symptoms" = latency and
    # errors only, "all" = every signal, "" = off.
    onset_first: str = "symptoms"
    # A caller's errors stay under the leading latency when the caller slowed too
    # (service_evidence.timeouts_below_leader).
    timeouts: bool = True
    # A resource that started more than this many steps after the first deviating symptom is an
    # effect: no resource-led or resource-support boost (service_evidence.late_resources). -1 disables.
    late_resource_steps: int = 1
    # Onset order leaves out latencies that rose by under half the largest relative latency rise
    # (service_rules._minor_latencies): a caller's amplified or noisy latency does not jump its callee.
    onset_rise_gate: bool = True


def rank(inp: RcaInput, config: RankerConfig = RankerConfig()) -> list[Hypothesis]:
    """Return hypotheses, most likely first: one per signal, plus one per relevant change."""
    # Every caller (the bot's button and rca-auto job, `opsbot eval rca`, the bench) ranks here,
    # so the BLAS thread bound is applied here (blas.py: spinning threads tripled the CPU).
    with bounded_blas():
        return _rank(inp, config)


def _rank(inp: RcaInput, config: RankerConfig) -> list[Hypothesis]:
    """``rank`` without the BLAS bound."""
    series = {n: s for n, s in inp.series.items() if s.values.size and np.ptp(s.values) > 0}
    if not series:
        return []
    grid = build_grid(series)
    episode = analyse(grid, inp.detect_time, config.lookback_seconds)
    view_series: dict[int, np.ndarray] = {}  # view index -> its residual series, for explaining away
    if inp.graph:
        residuals = [residual_peaks(grid, episode.baseline_rows, episode.episode_rows, inp.graph)]
    else:
        residuals = graph_free_views(grid, episode, config.graph_free, view_series, config.shift_orient,
                                     ANOMALOUS, DROP_WEIGHT)
    closure = dependents_closure(inp.graph) if inp.graph else {}
    onsets = _onsets(episode, inp)
    step = grid.step
    scored: list[tuple[float, str, bool, Evidence]] = []
    devs: dict[str, float] = {}
    for name, st in episode.stats.items():
        service, _ = split_name(name)
        dev = devs[name] = max(st.up, DROP_WEIGHT * st.down)
        # Geometric mean of the deviation and every residual view: a candidate must both
        # move and stay unexplained under each view of its causes.
        views = [max(r[name][0], DROP_WEIGHT * r[name][1]) for r in residuals]
        score = math.prod([dev, *views]) ** (1.0 / (1 + len(views)))
        notes: list[str] = []
        lead = _lead(onsets.get(name), onsets, step)
        if lead > 0 and score >= ANOMALOUS:
            score *= 1.0 + config.lead_bonus * min(lead, 1.0)
            notes.append("moved before the other deviating signals")
        change, proximity = _nearest_change(inp.changes, service, episode.change_time, step, config)
        if change is not None:
            score *= 1.0 + config.change_bonus * proximity
            notes.append(f"{change.kind} on {service} shortly before onset")
        explains = _explains(service, closure, episode, onsets.get(name))
        scored.append((score, name, False, Evidence(
            signal=name, onset=onsets.get(name), deviation=round(st.deviation, 2),
            direction="up" if st.up >= st.down else "down", explains=explains,
            change=change, notes=tuple(notes))))
    # Changes are judged by how much their services moved, before any explaining away.
    changes = _change_hypotheses(inp, episode, scored, step, config)
    if config.explain_away:
        weight = 1.0 / (1 + len(residuals))
        comps = [Component(grid.values, devs, weight)] + [
            Component(m, {n: max(residuals[i][n][0], DROP_WEIGHT * residuals[i][n][1]) for n in grid.names}, weight)
            for i, m in view_series.items()]
        new = explain_away(grid.values, grid.names, episode.baseline_rows, episode.episode_rows,
                           {s[1]: s[0] for s in scored}, comps, DROP_WEIGHT, ANOMALOUS, view_series.get(1))
        scored = [(new[name], name, c, ev) for _, name, c, ev in scored]
    scored = service_rules(scored, grid, episode, onsets, devs, config, ANOMALOUS)
    return _finish(scored + changes, config)


def rank_services(hypotheses: list[Hypothesis]) -> list[tuple[str, float]]:
    """Aggregate a metric ranking to services: each service keeps its best hypothesis."""
    best: dict[str, float] = {}
    for h in hypotheses:
        if h.service not in best:
            best[h.service] = h.confidence
    return list(best.items())


def rank_names(inp: RcaInput, config: RankerConfig = RankerConfig()) -> list[str]:
    """Return the ranked ``<service>_<metric>`` names only (change hypotheses left out)."""
    return [h.name for h in rank(inp, config) if h.metric is not None]


def _onsets(episode: Episode, inp: RcaInput) -> dict[str, float]:
    """Return onset per deviating signal; an alert on the service can only make it earlier."""
    first_alert: dict[str, float] = {}
    for alert in inp.alerts:
        if alert.time >= episode.window_start:
            first_alert[alert.service] = min(alert.time, first_alert.get(alert.service, math.inf))
    out = {}
    for name, st in episode.stats.items():
        if st.deviation < ANOMALOUS or st.onset is None:
            continue
        onset = min(st.onset, first_alert.get(split_name(name)[0], math.inf))
        out[name] = onset
    return out


def _lead(onset: float | None, onsets: dict[str, float], step: float) -> float:
    """Return by how many steps a signal led the median deviating signal (0 if it did not)."""
    if onset is None or len(onsets) < 2:
        return 0.0
    median = float(np.median(list(onsets.values())))
    return max(0.0, (median - onset) / step)


def _nearest_change(
    changes: list[ChangeEvent], service: str, change_time: float, step: float, config: RankerConfig
) -> tuple[ChangeEvent | None, float]:
    """Return the change on ``service`` closest before the episode and its proximity in [0, 1].

    A change more than one step after the onset cannot have caused it (it is more likely a
    response, such as a rollback), so it is ignored.
    """
    best, proximity = None, 0.0
    for ev in changes:
        if ev.service != service or ev.time > change_time + step:
            continue
        p = math.exp(-max(change_time - ev.time, 0.0) / config.change_decay_seconds)
        if p > proximity:
            best, proximity = ev, p
    return best, proximity


def _explains(service: str, closure: dict[str, set[str]], episode: Episode, onset: float | None) -> tuple[str, ...]:
    """Return downstream services with a deviating signal that did not start earlier."""
    out = set()
    for name, st in episode.stats.items():
        other = split_name(name)[0]
        if other in closure.get(service, ()) and st.deviation >= ANOMALOUS:
            if onset is None or st.onset is None or st.onset >= onset:
                out.add(other)
    return tuple(sorted(out))


def _change_hypotheses(inp, episode, scored, step, config) -> list[tuple[float, str, bool, Evidence]]:
    """Turn each change shortly before onset into a hypothesis scored by what it explains."""
    by_service: dict[str, float] = {}
    for score, name, _, _ in scored:
        service = split_name(name)[0]
        by_service[service] = max(by_service.get(service, 0.0), score)
    closure = dependents_closure(inp.graph) if inp.graph else {}
    out = []
    for ev in inp.changes:
        if ev.time > episode.change_time + step:
            continue
        p = math.exp(-max(episode.change_time - ev.time, 0.0) / config.change_decay_seconds)
        affected = [ev.service, *sorted(closure.get(ev.service, ()))]
        impact = max((by_service.get(s, 0.0) for s in affected), default=0.0)
        if p < 0.05 or impact < ANOMALOUS:
            continue
        explains = tuple(s for s in affected[1:] if by_service.get(s, 0.0) >= ANOMALOUS)
        out.append((p * impact, f"{ev.service}:{ev.kind}", True, Evidence(
            signal=f"{ev.kind}: {ev.description}".strip(": "), onset=ev.time, deviation=0.0,
            direction="", explains=explains, change=ev,
            notes=(f"{int(episode.change_time - ev.time)} s before onset",))))
    return out


def _finish(scored, config: RankerConfig) -> list[Hypothesis]:
    """Sort (score, then name for stable ties) and attach confidences."""
    scored.sort(key=lambda s: (-s[0], s[1]))
    scores = np.array([s[0] for s in scored])
    weights = np.exp((scores - scores.max()) / config.temperature)
    shares = weights / weights.sum()
    out = []
    for (score, name, is_change, ev), share in zip(scored, shares):
        strength = 1.0 - math.exp(-max(score - ANOMALOUS, 0.0) / ANOMALOUS)
        service, metric = (ev.change.service, None) if is_change else split_name(name)
        # Significant digits, not decimals: a tiny share stays above 0 ("<1%", never "ruled out").
        out.append(Hypothesis(service=service, metric=metric, confidence=float(f"{strength * share:.4g}"),
                              score=round(float(score), 4), evidence=ev))
    return out


def input_from_frame(times: np.ndarray, columns: dict[str, np.ndarray], detect_time: float, **kw) -> RcaInput:
    """Build an ``RcaInput`` from one time column and named value columns."""
    return RcaInput({n: Series.of(times, v) for n, v in columns.items()}, detect_time, **kw)
