"""How the grouping model names its candidates: the best two of the scored, and a line a person reads."""

from __future__ import annotations

import math
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


# What each feature (model.FEATURES[2:-1]) reads as in `/ops why`: the evidence in an SRE's words, with how
# long ago it happened (the recency features are exp(-age/tau): the age is read back from the value).
_WORDS = ("1 hop away in depends_on", "2 hops away in depends_on", "3 hops away in depends_on", "same service",
          "same namespace", "same alert name", None, None, "still spreading: a new service", "same node/host",
          "a workload and its node/host", "same zone/rack", "a zone/rack/circuit's infrastructure and what is in it",
          "a service not in depends_on", None, None)
_TAU = (900.0, 900.0, 900.0, 900.0, 900.0, 900.0, None, None, 180.0, 900.0, 900.0, 900.0, 900.0, 900.0, None, None)


def _part(i: int, v: float) -> str:
    if i == 6:  # learned co-occurrence: a share of past incidents
        return f"fired together in {v:.0%} of past incidents"
    if i == 7:
        return "in another cluster"
    if i == 14:  # anonymous: its value is onset_15m, whose age the line already gives
        return "the alert names no service, host or zone: placed by time alone"
    if i == 15:  # label_match: a rare label value's weight times its recency
        return f"shares a label value few alerts carry ({v:.2f})"
    tau = _TAU[i]
    assert tau is not None
    return f"{_WORDS[i]} {max(0.0, -tau * math.log(v)):.0f}s ago"  # max: never "-0s"


def explain(s: Scored) -> str:
    """Return one candidate's score and evidence in a line a person can read."""
    if not s.features:
        return f"#{s.incident.id} score <= {s.score:.2f} (last onset {s.gap_s:.0f}s ago: cannot reach the threshold)"
    parts = [f"last onset {s.gap_s:.0f}s ago"] + [
        _part(i, v) for i, v in enumerate(s.features[2:-1]) if v >= 0.005]
    return f"#{s.incident.id} score {s.score:.2f} ({', '.join(parts)})"
