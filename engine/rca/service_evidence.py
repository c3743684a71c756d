"""Evidence shared inside a service and along callers: resource faults seen as latency, amplified latency.

A CPU hog or a memory leak slows the service down: its latency (and, past timeouts, its
errors) moves, often by more robust sigmas than the resource itself, and the callers'
latency moves too.  Ranked signal by signal, the resource loses to the louder symptoms.
Here a service's resource signal that deviates on its own gains what its service's other
signals scored: they are evidence for it, since the resource explains them; a caller whose
own resources stayed still gains nothing.  Along callers, a callee's latency that rose
earlier and by a larger fraction of its level outranks the callers' amplified latency.
"""

from __future__ import annotations

import numpy as np

from engine.rca.types import split_name

RESOURCE_PREFIXES = ("cpu", "mem", "memory", "disk", "gc", "heap", "threads", "fd")


def is_resource(metric: str) -> bool:
    """Return True for a resource metric (CPU, memory, disk, ...) rather than a symptom."""
    return metric.lower().startswith(RESOURCE_PREFIXES)


def resource_support(
    scores: dict[str, float], deviations: dict[str, float], anomalous: float, weight: float,
    onsets: dict[str, float] | None = None, step: float = 0.0,
) -> dict[str, float]:
    """Return scores where each deviating resource signal gains ``weight`` x its service's best symptom score.

    With ``onsets``, a symptom that started clearly before the resource (``ONSET_SLACK_STEPS``)
    is not its evidence: the resource then moved after it, as an effect or by chance.
    """
    onsets = onsets or {}
    out = dict(scores)
    for name, score in scores.items():
        service, metric = split_name(name)
        if not is_resource(metric) or deviations.get(name, 0.0) < anomalous:
            continue
        start = onsets.get(name)
        own = [s for n, s in scores.items() if split_name(n)[0] == service and not is_resource(split_name(n)[1])
               and (start is None or n not in onsets or onsets[n] >= start - ONSET_SLACK_STEPS * step)]
        out[name] = score + weight * max(own, default=0.0)
    return out



def late_resources(
    deviations: dict[str, float], onsets: dict[str, float], anomalous: float, step: float, slack_steps: int
) -> set[str]:
    """Return the deviating resource signals that started more than ``slack_steps`` after the first symptom.

    The first symptom is the earliest onset among deviating latency and error signals (any
    service).  A CPU hog or leak moves its resource with or before the symptoms it causes;
    one that moved clearly later is an effect (a caller's GC under retries) or noise.
    """
    symptoms = [onsets[n] for n in onsets if not is_resource(split_name(n)[1]) and deviations.get(n, 0.0) >= anomalous]
    if not symptoms:
        return set()
    first = min(symptoms)
    return {n for n, t in onsets.items() if is_resource(split_name(n)[1]) and t > first + slack_steps * step}

LATENCY_PREFIXES = ("latency", "duration", "response_time", "rt")
SPIKE_ROWS = 3  # the episode level is its 3rd-largest value: one or two noise spikes do not set it
RECENT_ROWS = 30  # rises are measured from the level just before the episode: daily waves move the long baseline
SUBSTANTIAL = 0.5  # of the largest relative rise: below it a latency barely moved for its level (noise, load)
ONSET_SLACK_STEPS = 3  # CUSUM onsets of signals that start together differ by a step or two


def is_latency(metric: str) -> bool:
    """Return True for a latency-like metric, one a caller adds its callees' values into."""
    return metric.lower().startswith(LATENCY_PREFIXES)


def _recent(values: np.ndarray, baseline_rows: np.ndarray) -> np.ndarray:
    """Return the last ``RECENT_ROWS`` baseline rows: the level the episode departs from."""
    return values[np.flatnonzero(baseline_rows)[-RECENT_ROWS:]]


def relative_rise(values: np.ndarray, baseline_rows: np.ndarray, episode_rows: np.ndarray) -> np.ndarray:
    """Return per column the episode level over the baseline median, minus 1; NaN off a ratio scale.

    Only positive series (latency in ms or s) have a meaningful ratio; a standardised or
    signed series gets NaN and is left alone.
    """
    base, episode = _recent(values, baseline_rows), values[episode_rows]
    out = np.full(values.shape[1], np.nan)
    if not len(base) or len(episode) < SPIKE_ROWS:
        return out
    median = np.median(base, axis=0)
    level = np.sort(episode, axis=0)[-SPIKE_ROWS]
    ratio_scale = base.min(axis=0) > 0
    out[ratio_scale] = level[ratio_scale] / median[ratio_scale] - 1.0
    return out


def amplification_order(
    scores: dict[str, float], rise: dict[str, float], onsets: dict[str, float], step: float,
    absolute: dict[str, float] | None = None,
) -> dict[str, float]:
    """Give the deviating latency signals' scores, largest first, to those with the larger relative rise.

    A caller's latency holds its callees' latency (times the retries), so it moves by more
    robust sigmas yet by a smaller fraction of its own level, and not before its callee.
    Among latency signals on a ratio scale, the one that rose most relative to its level
    and did not start clearly later (``ONSET_SLACK_STEPS``) than the earliest takes the larger score.
    With ``absolute`` (rises in the series' units, one unit for every latency), the latencies
    that rose by at least ``SUBSTANTIAL`` of the largest relative rise come first, smallest
    absolute rise first: retries can make a caller's rise the larger fraction of its level,
    never the fewer milliseconds, since it waits for its callee's added time at least once.
    """
    group = [n for n in scores if n in rise and is_latency(split_name(n)[1])]
    if len(group) < 2:
        return dict(scores)
    first = min((onsets[n] for n in group if n in onsets), default=None)

    def late(n: str) -> bool:
        return first is not None and n in onsets and onsets[n] > first + ONSET_SLACK_STEPS * step

    if absolute is None:
        order = sorted(group, key=lambda n: (late(n), -rise[n], n))
    else:
        # Among the latencies that rose by a substantial fraction, a caller holds its callee's
        # added milliseconds (times fan-out and retries): the smallest absolute rise is the callee.
        top = max((rise[n] for n in group if not late(n)), default=0.0)
        front = {n for n in group if not late(n) and rise[n] >= SUBSTANTIAL * top and n in absolute}
        order = sorted(group, key=lambda n: (late(n), n not in front, absolute[n] if n in front else -rise[n], n))
    ranked = sorted((scores[n] for n in group), reverse=True)
    out = dict(scores)
    out.update(zip(order, ranked))
    return out


ERROR_PREFIXES = ("error", "errors", "fail", "5xx", "exception")


def is_error(metric: str) -> bool:
    """Return True for an error-like metric (rate, ratio or count of failed requests)."""
    return metric.lower().startswith(ERROR_PREFIXES)


def absolute_rise(values: np.ndarray, baseline_rows: np.ndarray, episode_rows: np.ndarray) -> np.ndarray:
    """Return per column the episode level (3rd-largest value) minus the baseline median, in the series' units."""
    base, episode = _recent(values, baseline_rows), values[episode_rows]
    if not len(base) or len(episode) < SPIKE_ROWS:
        return np.full(values.shape[1], np.nan)
    out: np.ndarray = np.sort(episode, axis=0)[-SPIKE_ROWS] - np.median(base, axis=0)
    return out


def error_order(
    scores: dict[str, float], rise: dict[str, float], onsets: dict[str, float], step: float
) -> dict[str, float]:
    """Give the deviating error signals' scores, largest first, to those with the larger absolute rise.

    A caller fails only when a callee failed (or timed out) under its retries, so its error
    rate or count rises by less than the callee's, in the same units, yet its robust z can be
    far larger (a quieter baseline).  Same rule as ``amplification_order`` with absolute rises.
    """
    return _reorder(scores, [n for n in scores if n in rise and is_error(split_name(n)[1])], rise, onsets, step)


def _reorder(scores: dict[str, float], group: list[str], key: dict[str, float], onsets: dict[str, float],
             step: float) -> dict[str, float]:
    """Hand ``group``'s scores, largest first, to its members ordered by (started late, -key)."""
    if len(group) < 2:
        return dict(scores)
    first = min((onsets[n] for n in group if n in onsets), default=None)

    def late(n: str) -> bool:
        return first is not None and n in onsets and onsets[n] > first + ONSET_SLACK_STEPS * step

    order = sorted(group, key=lambda n: (late(n), -key[n], n))
    ranked = sorted((scores[n] for n in group), reverse=True)
    out = dict(scores)
    out.update(zip(order, ranked))
    return out


def resource_led(
    scores: dict[str, float], deviations: dict[str, float], onsets: dict[str, float], anomalous: float, step: float
) -> dict[str, float]:
    """Raise a deviating resource signal whose own service's latency or errors moved with it to the top symptom score.

    A CPU hog or leak explains its own service's symptoms and, through the callers, every
    symptom that did not start before it; a caller's resources stay still, so a resource that
    moved together with its own service's symptoms marks the origin.
    """
    out = dict(scores)
    symptoms = [n for n in scores if not is_resource(split_name(n)[1]) and deviations.get(n, 0.0) >= anomalous]
    for name, score in scores.items():
        service, metric = split_name(name)
        if not is_resource(metric) or deviations.get(name, 0.0) < anomalous or name not in onsets:
            continue
        start = onsets[name]
        own = [n for n in symptoms if split_name(n)[0] == service and n in onsets
               and abs(onsets[n] - start) <= ONSET_SLACK_STEPS * step]
        if not own:
            continue
        later = [scores[n] for n in symptoms if n in onsets and onsets[n] >= start - ONSET_SLACK_STEPS * step]
        out[name] = max(score, *later) * 1.01  # ahead of the symptoms it explains
    return out


STRONG_SHARE = 0.25  # of the top score: weaker signals are too often noise to order by onset


def onset_first(scores: dict[str, float], onsets: dict[str, float], step: float, symptoms_only: bool = True
                ) -> dict[str, float]:
    """Hand the strong signals' scores, largest first, to them in order of onset (ties keep their order).

    Faults spread up the callers over time: of two strongly deviating symptoms, the one that
    started a step earlier is upstream of the other; a caller's timeouts start after its callee slowed.
    """
    top = max(scores.values(), default=0.0)
    group = [n for n in scores if n in onsets and scores[n] >= STRONG_SHARE * top
             and (not symptoms_only or not is_resource(split_name(n)[1]))]
    if len(group) < 2:
        return dict(scores)
    order = sorted(group, key=lambda n: (round(onsets[n] / step), -scores[n], n))
    ranked = sorted((scores[n] for n in group), reverse=True)
    out = dict(scores)
    out.update(zip(order, ranked))
    return out


def timeouts_below_leader(
    scores: dict[str, float], rise: dict[str, float], onsets: dict[str, float], step: float
) -> dict[str, float]:
    """Keep a caller's errors below the latency that rose most relative to its level when the caller slowed too.

    A caller that times out on a slow callee both slows (it waits, then retries) and fails;
    its errors, on a quiet baseline, can outscore the callee's latency by far.  Errors of a
    service whose own latency rose by a smaller fraction than the leading latency (that did
    not start later) are capped just under the leader.  ``rise`` holds the moved latency
    signals on a ratio scale; the root of an error fault keeps its score, its latency stays flat.
    """
    latency = {n: r for n, r in rise.items() if is_latency(split_name(n)[1]) and n in scores}
    if len(latency) < 2:
        return dict(scores)
    # The leader is chosen, as in ``amplification_order``, among latencies that did not start
    # clearly later than the earliest: a late one is a symptom of the storm, not its origin.
    first = min((onsets[n] for n in latency if n in onsets), default=None)
    early = {n: r for n, r in latency.items()
             if first is None or n not in onsets or onsets[n] <= first + ONSET_SLACK_STEPS * step}
    leader = max(early, key=lambda n: (early[n], n))
    lead_service = split_name(leader)[0]
    out = dict(scores)
    for name, score in scores.items():
        service, metric = split_name(name)
        if not is_error(metric) or service == lead_service:
            continue
        own = [n for n in latency if split_name(n)[0] == service]
        late = name in onsets and leader in onsets and onsets[name] >= onsets[leader] - ONSET_SLACK_STEPS * step
        if own and late and score > scores[leader]:
            out[name] = scores[leader] * 0.99
    return out
