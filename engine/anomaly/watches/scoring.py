"""Score one series' new points and decide its alert: pure functions, run in a worker thread."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.anomaly import registry
from engine.anomaly.forecast import Crossing, Direction, ForecastRule, forecast_crossing
from engine.anomaly.types import Detector
from engine.anomaly.watches.config import WatchConfig, seconds

log = logging.getLogger("opsbot.anomaly")
# Rows x series per matrix call. The cost per series is nearly flat from about 25 series (a day of
# 1-minute rows: 3.2 ms CPU a series at 10, 2.6 at 50, 2.4 at 100), while the peak memory grows
# with the cells (about 110 MB of process RSS at 50 series x 1440 rows, 400 MB at 250): 50 series
# of a day per call, 10 of five days.
MANY_CELLS = 72_000


@dataclass
class SeriesMemory:
    """What the store remembers about a series between runs (a plain copy of its row)."""

    detector_state: dict[str, Any] = field(default_factory=dict)
    last_ts: float = 0.0
    scored_points: int = 0
    quiet_until_ts: float = 0.0
    firing: bool = False
    firing_since_ts: float | None = None
    last_anomalous_ts: float | None = None
    anomaly_state: dict[str, Any] | None = None
    evidence: dict[str, Any] | None = None
    forecast_firing: bool = False


@dataclass
class Verdict:
    """What one run decided for a series: the new memory and the transition, with its reason."""

    memory: SeriesMemory
    change: str  # fire | resolve | none
    reason: str
    last_score: float = 0.0
    new_points: int = 0


def _detector(watch: WatchConfig, state: dict[str, Any]) -> Detector:
    det = registry.restore(state) if state else registry.create(watch.detector, watch.sensitivity)
    if state and not registry.carried_over(det, watch.detector):
        # The configured detector changed to one this state cannot become: it runs what the
        # config (and every evidence line) names, learning afresh, rather than the old one.
        log.info("watch detector changed: learning afresh", extra={"watch": watch.name, "detector": watch.detector})
        return registry.create(watch.detector, watch.sensitivity)
    if state and getattr(det, "sensitivity", watch.sensitivity) != watch.sensitivity:
        det.sensitivity = watch.sensitivity  # the config changed: the learned state stays valid
    return det


def _snapshot(watch: WatchConfig, before: dict[str, Any], ts: np.ndarray, vs: np.ndarray, k: int
              ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Re-score up to point k from the state before this run: the state and evidence at k.

    The band is the one the detector accepted just before k (the detector's own band at k
    already includes k's record-breaking deviation); the expected value is the one at k.
    """
    det = _detector(watch, before)
    if k:
        det.score_batch(ts[:k], vs[:k])
    prior = det.evidence()
    det.score_batch(ts[k: k + 1], vs[k: k + 1])
    ev = det.evidence()
    if ev is None:
        return det.to_state(), None
    half = (prior.upper - prior.lower) / 2 if prior is not None else (ev.upper - ev.lower) / 2
    evidence = {"value": ev.value, "expected": ev.expected, "lower": ev.expected - half, "upper": ev.expected + half}
    return det.to_state(), evidence


def _in_range(det: Detector, value: float) -> bool:
    ev = det.evidence()
    return ev is None or ev.lower <= value <= ev.upper


def _new_points(mem: SeriesMemory, ts: np.ndarray, vs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the finite points newer than the last scored one."""
    ok = np.isfinite(ts) & np.isfinite(vs) & (ts > mem.last_ts)
    return ts[ok], vs[ok]


def score_new(watch: WatchConfig, mem: SeriesMemory, ts: np.ndarray, vs: np.ndarray) -> Verdict:
    """Score the points newer than the last scored one and decide fire / resolve / nothing."""
    ts, vs = _new_points(mem, ts, vs)
    if len(ts) == 0:
        return Verdict(mem, "none", "no new points")
    det = _detector(watch, mem.detector_state)
    return _decide(watch, mem, det, det.score_batch(ts, vs), ts, vs)


def score_all(watch: WatchConfig, items: list[tuple[SeriesMemory, np.ndarray, np.ndarray]]) -> list[Verdict]:
    """Score_new for every series of a run; series new to the watch that share their stamps score as one matrix.

    A watch's first run (and every series that appears later) scores a whole lookback; as
    columns of one matrix that costs a tenth of one detector per series, with the same scores
    and the same per-series state (detectors/ensemble_many.py).
    """
    from engine.anomaly.detectors.ensemble_many import score_fresh_many  # the detectors load on first use

    points = [_new_points(mem, ts, vs) for mem, ts, vs in items]
    groups: dict[bytes, list[int]] = {}
    for i, ((mem, _, _), (ts, _)) in enumerate(zip(items, points)):
        if not mem.detector_state and len(ts):
            groups.setdefault(ts.tobytes(), []).append(i)
    ready: dict[int, tuple[Detector, np.ndarray]] = {}
    for idx in groups.values():
        chunk = max(2, MANY_CELLS // len(points[idx[0]][0]))
        for at in range(0, len(idx), chunk):
            part = idx[at : at + chunk]
            if len(part) < 2:
                continue
            dets = [_detector(watch, {}) for _ in part]
            ts = points[part[0]][0]
            scores = score_fresh_many(dets, ts, np.stack([points[i][1] for i in part], axis=1))
            ready.update({i: (d, scores[:, c]) for c, (i, d) in enumerate(zip(part, dets))})
    out = []
    for i, (mem, ts, vs) in enumerate(items):
        if i in ready:
            det, scores = ready[i]
            out.append(_decide(watch, mem, det, scores, *points[i]))
        else:
            out.append(score_new(watch, mem, ts, vs))
    return out


def _decide(watch: WatchConfig, mem: SeriesMemory, det: Detector, raw: np.ndarray, ts: np.ndarray, vs: np.ndarray
            ) -> Verdict:
    """Decide fire / resolve / nothing from a batch's scores; det has scored the batch."""
    before = mem.detector_state
    scores = np.clip(raw, 0.0, 1.0)
    new = SeriesMemory(**{**mem.__dict__})
    new.detector_state, new.last_ts = det.to_state(), float(ts[-1])
    seen = mem.scored_points + np.arange(1, len(ts) + 1)
    alertable = (seen > watch.warmup_points) & (ts > mem.quiet_until_ts)
    anomalous = np.nonzero(alertable & (scores >= watch.threshold))[0]
    gap = watch.resolve_after_s
    episode_start: int | None = None  # first anomalous index of the newest episode in this batch
    last = mem.last_anomalous_ts
    for i in anomalous:
        if last is None or ts[i] - last >= gap:
            episode_start = int(i)
        last = float(ts[i])
    new.last_anomalous_ts = last
    new.scored_points = int(seen[-1])
    recent = last is not None and ts[-1] - last < gap
    active = recent or (mem.firing and not _in_range(det, float(vs[-1])))
    verdict = Verdict(new, "none", "", float(scores[-1]), len(ts))
    if active and not mem.firing and len(anomalous) == 0:
        verdict.reason = "the anomalous stretch began while the watch was muted"
    elif active and not mem.firing:
        start = episode_start if episode_start is not None else int(anomalous[-1])
        members = [int(i) for i in anomalous if i >= start]
        peak = max(members, key=lambda i: scores[i])
        new.anomaly_state, new.evidence = _snapshot(watch, before, ts, vs, peak)
        if new.evidence is not None:
            new.evidence["score"] = float(scores[peak])
            new.evidence["at"] = float(ts[peak])
        new.firing, new.firing_since_ts = True, float(ts[start])
        verdict.change, verdict.reason = "fire", f"score {scores[peak]:.2f} >= threshold {watch.threshold:.2f}"
    elif mem.firing and not active:
        new.firing = False
        verdict.change = "resolve"
        verdict.reason = f"no anomalous point for {gap:.0f} s and the value is back within the expected range"
    else:
        verdict.reason = "still anomalous" if active else "normal"
    return verdict


def forecast_rule(watch: WatchConfig) -> ForecastRule | None:
    """Return the watch's forecast rule, if it forecasts."""
    f = watch.forecast
    if f is None:
        return None
    return ForecastRule(limit=f.limit, horizon_seconds=seconds(f.horizon), direction=Direction(f.direction))


def forecast_verdict(rule: ForecastRule, firing: bool, ts: np.ndarray, vs: np.ndarray) -> tuple[str, Crossing]:
    """Return (fire | resolve | none, the crossing) for a series' predictive alert."""
    crossing = forecast_crossing(ts, vs, rule)
    if crossing.crosses and not firing:
        return "fire", crossing
    if firing and not crossing.crosses and crossing.reason != "not enough history":
        return "resolve", crossing
    return "none", crossing


def humanize(seconds_left: float) -> str:
    """Return '40 min', 'about 3 h' or '2 d' for a time left."""
    if seconds_left < 90:
        return "now" if seconds_left <= 0 else f"{seconds_left:.0f} s"
    if seconds_left < 5400:
        return f"{seconds_left / 60:.0f} min"
    if seconds_left < 2 * 86400:
        return f"{seconds_left / 3600:.0f} h"
    return f"{seconds_left / 86400:.1f} d"
