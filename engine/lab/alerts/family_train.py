"""The training storms of the grouping fit: the six family styles, shared-hosts and zoned."""

from __future__ import annotations

import random

from engine.lab.alerts.family import Storm, _train_knobs, build_storm
from engine.lab.alerts.family_hosts import hosts_storm
from engine.lab.alerts.family_zones import zones_storm

TRAIN_STYLES = ("layered", "tree", "hub", "recurring", "crowded", "flappy", "shared-hosts", "zoned")


def train_storm(style: str, seed: int) -> Storm:
    """Generate one storm of a training style."""
    if style == "shared-hosts":  # machines, machine failures, a partial graph
        return hosts_storm(seed)
    if style == "zoned":  # machines in zones or racks, domain-wide failures
        return zones_storm(seed)
    return build_storm(style, seed, _train_knobs(style, random.Random(f"knobs:{style}:{seed}")))
