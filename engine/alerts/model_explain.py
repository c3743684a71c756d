"""How the grouping model names its candidates: the best two of the scored, and a line a person reads."""

from __future__ import annotations

from typing import NamedTuple

from engine.alerts.types import Incident


class Scored(NamedTuple):
    """One candidate incident with its features and score."""

    incident: Incident
    features: tuple[float, ...]
    gap_s: float
    score: float


def top2(scored: list[tuple[float, Incident, tuple[float, ...], float]]) -> list[tuple[float, Incident, tuple[float, ...], float]]:
    """Return the best two by score, then the latest activity, then the id (no full sort: most alerts have a few)."""
    if len(scored) < 2:
        return scored
    first = second = None
    for x in scored:
        k = (x[0], x[1].last_activity_at, x[1].id)
        if first is None or k > first[0]:
            first, second = (k, x), first
        elif second is None or k > second[0]:
            second = (k, x)
    assert first is not None and second is not None  # two or more candidates
    return [first[1], second[1]]


_SHORT = ("onset", "", "topology 1 hop", "topology 2 hops", "topology 3 hops", "service", "namespace", "alertname",
          "co-occurrence", "other cluster", "spreading", "same node/host", "node/host and its workloads",
          "outside the graph")


def explain(s: Scored) -> str:
    """Return one candidate's score and features in a line a person can read."""
    if not s.features:
        return f"#{s.incident.id} score <= {s.score:.2f} (last onset {s.gap_s:.0f}s ago: cannot reach the threshold)"
    parts = [f"last onset {s.gap_s:.0f}s ago"] + [
        f"{name} {v:.2f}" for name, v in zip(_SHORT[2:], s.features[2:-1]) if v >= 0.005]
    return f"#{s.incident.id} score {s.score:.2f} ({', '.join(parts)})"
