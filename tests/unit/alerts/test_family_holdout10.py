"""The tenth held-out storm style (ml-serving): what it generates, not how Opsbot scores on it."""

from __future__ import annotations

from engine.lab.alerts.family_holdout10 import QUEUE, holdout10_storm
from tests.unit.alerts.storm_checks import alerts_by_truth


def test_a_saturated_pool_spreads_over_minutes_and_no_identity_serves_two_causes_at_once():
    slow_cascades = recurring = 0
    for seed in range(10):
        storm = holdout10_storm(seed)
        by_truth = alerts_by_truth(storm, {"service", "namespace", "cluster", "node", "host", "hostname", "rack", "zone"})
        for truth, alerts in by_truth.items():
            recurring += truth.startswith("recurring-")
            starts = [a.start for a in alerts]
            slow_cascades += truth.startswith("inc-") and max(starts) - min(starts) > 480 and any(
                a.labels["alertname"] == QUEUE for a in alerts)
    assert slow_cascades >= 5 and recurring >= 20
