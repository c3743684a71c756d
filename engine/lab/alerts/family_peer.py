"""Destination labels on training storms: some alert rules say which upstream a symptom is about.

A service mesh's request metrics carry the callee (Istio: `destination_service_name`), so an alert
rule that aggregates errors or latency by destination fires with it: `HighErrorRate` on `web`
with `destination_service_name="db"`. Per storm, half the deployments have no such rule; in the
other half each symptom alertname's rule carries it with probability `share` (0.3-0.8). The
destination of an alert is the upstream whose failure it shows: a service it depends on, alerting
earlier in the same true incident (the earliest of them). Decided with their own generator, so the
storm itself (services, times, truth) is the one family.build_storm drew.
"""

from __future__ import annotations

import random
from typing import Any

DEST = "destination_service_name"


def draw_share(style: str, seed: int) -> tuple[float, random.Random]:
    """Return the share of symptom alert rules that carry a destination, and the generator to place them."""
    rng = random.Random(f"peer:{style}:{seed}")
    return (0.0 if rng.random() < 0.5 else rng.uniform(0.3, 0.8)), rng


def add_destinations(storm: Any, share: float, rng: random.Random) -> None:
    """Label the alerts of the chosen rules with the upstream they are about (in place)."""
    if share <= 0:
        return
    first: dict[tuple[str, str], float] = {}  # (truth, service) -> its first onset
    for a in storm.alerts:
        k = (a.truth, a.labels["service"])
        first[k] = min(first.get(k, a.start), a.start)
    ups: dict[int, str] = {}
    for i, a in enumerate(storm.alerts):
        svc = a.labels["service"]
        near = [(first[(a.truth, u)], u) for u in storm.depends_on.get(svc, ())
                if (a.truth, u) in first and first[(a.truth, u)] < first[(a.truth, svc)]]
        if near:
            ups[i] = min(near)[1]
    names = sorted({storm.alerts[i].labels["alertname"] for i in ups})
    carry = {n for n in names if rng.random() < share}
    for i, up in ups.items():
        lab = storm.alerts[i].labels
        if lab["alertname"] in carry:
            lab[DEST] = up
