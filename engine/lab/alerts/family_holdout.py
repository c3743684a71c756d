"""The held-out storm style: written before any fitting, never used by it, scored once at the end.

Multi-cluster mesh: every service runs in two or three clusters under the same name, the call
graph is a random mesh, a cascade stays inside the cluster it started in, and Alertmanager groups
coarsely by (alertname, cluster). Its knob ranges overlap the training styles' but are drawn
together in a way none of them is.
"""

from __future__ import annotations

import random

from engine.lab.alerts.family import Knobs, Storm, build_storm

HOLDOUT_STYLE = "multicluster-mesh"
HOLDOUT_GROUP_BY = ("alertname", "cluster")


def holdout_knobs(seed: int) -> Knobs:
    """Draw the held-out style's knobs for one seed."""
    r = random.Random(f"knobs:{HOLDOUT_STYLE}:{seed}")
    return Knobs(services=r.randint(15, 45), shape="mesh", namespaces=r.randint(2, 6), clusters=r.randint(2, 3),
                 hop_lag=(r.uniform(30, 60), r.uniform(90, 150)), incidents=r.randint(8, 16),
                 duration_s=r.uniform(7200, 10800), concurrency=r.uniform(0.2, 0.5),
                 recurrence=r.uniform(0.2, 0.5), flap=r.uniform(0.1, 0.3), dup=r.uniform(0.2, 0.6),
                 noise=r.uniform(0.5, 1.5), label_reuse=r.uniform(0.4, 0.8), spread=r.uniform(0.5, 0.8))


def holdout_storm(seed: int) -> Storm:
    """Generate one storm of the held-out style."""
    return build_storm(HOLDOUT_STYLE, seed, holdout_knobs(seed))
