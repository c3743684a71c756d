"""Score grouping on family storms: Opsbot's decision path in memory, two trivial baselines, the ceiling.

Opsbot runs the production stages (pipeline.process and pipeline.tick: dedup, grouping model,
lifecycle) over in-memory state with the simulated clock; the notify stage's decision marks
which incidents were posted. Scores are pairwise F1 over alert occurrences (fingerprint, startsAt).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable

from engine.alerts.config import AlertsConfig
from engine.alerts.cooccurrence import CoOccurrence
from engine.alerts.model import GroupingModel
from engine.alerts.notify import decide_notice
from engine.alerts.pipeline import PipelineState, process, tick
from engine.alerts.types import Status
from engine.lab.alerts.evaluate import pairwise
from engine.lab.alerts.family import BASE, Storm
from engine.lab.alerts.family_wire import Delivery, occurrences


@dataclass
class Score:
    """One grouping of one storm, scored."""

    f1: float
    compression: float  # 1 - groups / occurrences
    lost: int  # true incidents none of whose occurrences reached a posted incident
    decide_s: float = 0.0  # time spent in the decision path (Opsbot only)
    alerts: int = 0  # alert entries fed through it


@dataclass
class Run:
    """What an Opsbot replay leaves: the occurrence -> incident map and per-candidate traces."""

    pred: dict[tuple[str, str], int] = field(default_factory=dict)
    posted: set[int] = field(default_factory=set)
    decide_s: float = 0.0
    alerts: int = 0


def config_for(storm: Storm, graph: bool) -> AlertsConfig:
    """Return the alerts config a storm is scored under: defaults, plus its graph when asked."""
    return AlertsConfig(depends_on=storm.depends_on if graph else {})


def replay(storm: Storm, feed: list[Delivery], cfg: AlertsConfig, model: GroupingModel | None = None,
           on_event: Callable[[Any, PipelineState], None] | None = None) -> Run:
    """Run deliveries through dedup -> grouping -> lifecycle in memory, ticking like the scheduler."""
    model = model or GroupingModel(cfg, CoOccurrence())
    state = PipelineState({}, {}, model=model)
    run = Run()
    step = cfg.tick_interval_s
    last_tick = 0.0
    for at, events in feed:
        while last_tick + step <= at:
            last_tick += step
            now = BASE + timedelta(seconds=last_tick)
            t0 = time.perf_counter()
            out = tick(state, cfg, now)
            run.decide_s += time.perf_counter() - t0
            _notify(state, out.changes, cfg, now, run)
            horizon = now - timedelta(seconds=cfg.reopen_window_s)  # what AlertStore.candidates keeps
            for i in [i for i, inc in state.incidents.items() if not inc.is_open and inc.resolved_at
                      and inc.resolved_at < horizon]:
                del state.incidents[i]
        now = BASE + timedelta(seconds=at)
        batches = [(ev,) for ev in events] if on_event else [events]
        for batch in batches:
            t0 = time.perf_counter()
            out = process(state, batch, cfg, now)
            run.decide_s += time.perf_counter() - t0
            if on_event:
                on_event(batch[0], state)
            _notify(state, out.changes, cfg, now, run)
        run.alerts += len(events)
        for ev in events:
            if ev.status is Status.FIRING:
                key = (ev.fingerprint, ev.starts_at.isoformat())
                if key not in run.pred:
                    inc_id = state.alerts[ev.fingerprint].incident_id
                    if inc_id is not None:
                        run.pred[key] = inc_id
    return run


def _notify(state: PipelineState, changes: dict[int, Any], cfg: AlertsConfig, now: Any, run: Run) -> None:
    for inc_id, ch in changes.items():
        inc = state.incidents.get(inc_id)
        if inc is not None and not inc.posted and decide_notice(inc, ch, now, cfg).message == "post":
            inc.posted = True
            run.posted.add(inc.id)


def _score(pred: list[Any], truth: list[str], posted: Callable[[Any], bool] = lambda _: True) -> Score:
    _, _, f1 = pairwise(pred, truth)
    reached: dict[str, bool] = {}
    for p, t in zip(pred, truth):
        reached[t] = reached.get(t, False) or posted(p)
    n = len(pred)
    return Score(f1, 1 - len(set(pred)) / n if n else 0.0, sum(1 for v in reached.values() if not v))


def score_opsbot(storm: Storm, feed: list[Delivery], graph: bool, weights: tuple[float, ...] | None = None,
                 threshold: float | None = None) -> Score:
    """Replay a storm through Opsbot (with or without its graph) and score it."""
    cfg = config_for(storm, graph)
    run = replay(storm, feed, cfg, GroupingModel(cfg, CoOccurrence(), weights, threshold))
    occ = occurrences(storm)
    pred = [run.pred.get((fp, start), f"none-{n}") for n, (_, fp, start, _, _) in enumerate(occ)]
    s = _score(pred, [o[3] for o in occ], lambda p: p in run.posted)
    s.decide_s, s.alerts = run.decide_s, run.alerts
    return s


def session_baseline(storm: Storm, labels: tuple[str, ...], window_s: float) -> Score:
    """Group occurrences by a label key, in sessions that end after window_s without an onset."""
    occ = occurrences(storm)
    last: dict[tuple[str, ...], tuple[float, int]] = {}
    pred, n = [], 0
    for t, _, _, _, lab in occ:
        key = tuple(lab.get(k, "") for k in labels)
        seen = last.get(key)
        if seen is None or t - seen[0] > window_s:
            n += 1
            seen = (t, n)
        last[key] = (t, seen[1])
        pred.append(seen[1])
    return _score(pred, [o[3] for o in occ])


def fingerprint_ceiling(storm: Storm) -> Score:
    """Return the best grouping keyed on fingerprints: truth, with incidents sharing a fingerprint merged."""
    occ = occurrences(storm)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    first: dict[str, str] = {}
    for _, fp, _, truth, _ in occ:
        if fp in first:
            a, b = find(first[fp]), find(truth)
            if a != b:
                parent[b] = a
        else:
            first[fp] = truth
    return _score([find(o[3]) for o in occ], [o[3] for o in occ])


def truth_of(storm: Storm) -> dict[tuple[str, str], str]:
    """Return (fingerprint, startsAt) -> true incident."""
    return {(fp, start): truth for _, fp, start, truth, _ in occurrences(storm)}


def majority(counts: Counter[str]) -> str | None:
    """Return the commonest true incident among an incident's members."""
    return counts.most_common(1)[0][0] if counts else None
