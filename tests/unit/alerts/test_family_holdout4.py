"""The fourth held-out storm style (managed-platform): what it generates, not how Opsbot scores on it."""

from __future__ import annotations

from collections import defaultdict

from engine.lab.alerts.family import BASE
from engine.lab.alerts.family_holdout4 import (DEPLOY_ALERTS, MAX_LATE_S, ROOT_NAMES_PLATFORM, ZONE_ALERT,
                                               holdout4_storm, late_deliveries)


def test_a_zone_impairment_precedes_alerts_on_tasks_in_that_zone():
    zone_incidents = two_roots = 0
    for seed in range(8):
        storm = holdout4_storm(seed)
        by_truth = defaultdict(list)
        for a in storm.alerts:
            by_truth[a.truth].append(a)
            assert {"region", "zone"} <= set(a.labels) and not {"cluster", "namespace", "instance"} & set(a.labels)
        for truth, alerts in by_truth.items():
            if truth.startswith("deploy-"):  # a rollout's one short alert, its own incident
                assert len(alerts) == 1 and alerts[0].labels["alertname"] in DEPLOY_ALERTS
                assert alerts[0].end - alerts[0].start <= 300
                continue
            zone = [a for a in alerts if a.labels["alertname"] == ZONE_ALERT]
            if zone:
                zone_incidents += 1
                assert "service" not in zone[0].labels
                in_zone = [a for a in alerts if "service" in a.labels and a.labels["zone"] == zone[0].labels["zone"]]
                assert in_zone and all(a.start > zone[0].start - 20 for a in in_zone)
            roots = {a.labels["service"] for a in alerts if a.labels["alertname"] in ROOT_NAMES_PLATFORM}
            two_roots += len(roots) >= 2
    assert zone_incidents >= 3 and two_roots >= 2


def test_deliveries_are_late_out_of_order_and_the_style_deterministic():
    a, b = holdout4_storm(3), holdout4_storm(3)
    assert [(x.labels, x.start, x.truth) for x in a.alerts] == [(x.labels, x.start, x.truth) for x in b.alerts]
    feed = late_deliveries(a)
    assert feed == late_deliveries(b) and all(len(evs) == 1 for _, evs in feed)
    onsets = [(ev.starts_at - BASE).total_seconds() for at, (ev,) in feed if ev.status.value == "firing"]
    lags = [at - (ev.starts_at - BASE).total_seconds() for at, (ev,) in feed if ev.status.value == "firing"]
    assert max(lags) <= MAX_LATE_S + 6 and min(lags) >= 0  # + 6: an HA re-send's few seconds
    assert any(later < earlier for earlier, later in zip(onsets, onsets[1:]))  # out of onset order
