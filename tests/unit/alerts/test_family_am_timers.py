"""Styles delivered on Alertmanager's timers: each alert's first firing arrives in its group's batch,
within group_wait or the group_interval after its onset, and the same seed is the same feed."""

from __future__ import annotations

import pytest

from engine.lab.alerts.family import BASE
from engine.lab.alerts.family_holdout7 import holdout7_knobs, holdout7_storm
from engine.lab.alerts.family_holdout7_wire import GROUP_WAIT_S, am_deliveries
from engine.lab.alerts.family_holdout8 import edge_deliveries, holdout8_knobs, holdout8_storm
from engine.lab.alerts.family_holdout9 import holdout9_knobs, holdout9_storm, saas_deliveries
from engine.lab.alerts.family_holdout10 import holdout10_knobs, holdout10_storm, serving_deliveries
from engine.lab.alerts.family_holdout11 import holdout11_knobs, holdout11_storm, mesh_deliveries
from engine.lab.alerts.family_holdout12 import holdout12_knobs, holdout12_storm, tenant_deliveries

STYLES = pytest.mark.parametrize("storm, deliveries, knobs", [
    (holdout7_storm, am_deliveries, holdout7_knobs),
    (holdout8_storm, edge_deliveries, holdout8_knobs),
    (holdout9_storm, saas_deliveries, holdout9_knobs),
    (holdout10_storm, serving_deliveries, holdout10_knobs),
    (holdout11_storm, mesh_deliveries, holdout11_knobs),
    (holdout12_storm, tenant_deliveries, holdout12_knobs),
], ids=["data-platform", "edge-network", "saas-app", "ml-serving", "k8s-mesh", "tenant-cells"])


@STYLES
def test_alertmanager_timers_deliver_in_group_batches_and_the_style_is_deterministic(storm, deliveries, knobs):
    for seed in range(5):
        a, b = storm(seed), storm(seed)
        assert [(x.labels, x.start, x.truth) for x in a.alerts] == [(x.labels, x.start, x.truth) for x in b.alerts]
        feed = deliveries(a)
        assert feed == deliveries(b)
        interval = knobs(seed)[1]["group_interval"]
        first: dict[tuple[str, object], float] = {}
        for at, evs in feed:
            for ev in evs:
                if ev.status.value == "firing":
                    first.setdefault((ev.fingerprint, ev.starts_at), at - (ev.starts_at - BASE).total_seconds())
        assert 0 <= min(first.values()) and max(first.values()) <= max(GROUP_WAIT_S, interval) + 1e-6
        assert len(first) == len(a.alerts)
