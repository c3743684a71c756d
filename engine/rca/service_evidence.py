"""Evidence shared inside a service: a resource fault that surfaces as latency or errors.

A CPU hog or a memory leak slows the service down: its latency (and, past timeouts, its
errors) moves, often by more robust sigmas than the resource itself, and the callers'
latency moves too.  Ranked signal by signal, the resource loses to the louder symptoms.
Here a service's resource signal that deviates on its own gains what its service's other
signals scored: they are evidence for it, since the resource explains them; a caller whose
own resources stayed still gains nothing.
"""

from __future__ import annotations

from collections import defaultdict

from engine.rca.types import split_name

RESOURCE_PREFIXES = ("cpu", "mem", "memory", "disk", "gc", "heap", "threads", "fd")


def is_resource(metric: str) -> bool:
    """Return True for a resource metric (CPU, memory, disk, ...) rather than a symptom."""
    return metric.lower().startswith(RESOURCE_PREFIXES)


def resource_support(
    scores: dict[str, float], deviations: dict[str, float], anomalous: float, weight: float
) -> dict[str, float]:
    """Return scores where each deviating resource signal gains ``weight`` x its service's best symptom score."""
    symptom: dict[str, float] = defaultdict(float)
    for name, score in scores.items():
        service, metric = split_name(name)
        if not is_resource(metric):
            symptom[service] = max(symptom[service], score)
    out = dict(scores)
    for name, score in scores.items():
        service, metric = split_name(name)
        if is_resource(metric) and deviations.get(name, 0.0) >= anomalous:
            out[name] = score + weight * symptom.get(service, 0.0)
    return out
