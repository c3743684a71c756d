"""The ninth held-out storm style (saas-app): what it generates, not how Opsbot scores on it."""

from __future__ import annotations

from engine.lab.alerts.family_holdout9 import SLO_BURN, holdout9_storm
from tests.unit.alerts.storm_checks import alerts_by_truth


def test_a_shared_database_cascades_over_minutes_and_no_identity_serves_two_causes_at_once():
    slow_cascades = recurring = untagged = 0
    for seed in range(10):
        storm = holdout9_storm(seed)
        by_truth = alerts_by_truth(storm, {"namespace", "cluster", "node", "host", "rack", "zone"})
        for a in storm.alerts:
            untagged += "service" not in a.labels
        for truth, alerts in by_truth.items():
            recurring += truth.startswith("recurring-")
            starts = [a.start for a in alerts]
            slow_cascades += truth.startswith("inc-") and max(starts) - min(starts) > 600 and any(
                a.labels["alertname"] == SLO_BURN for a in alerts)
    assert slow_cascades >= 5 and recurring >= 20 and untagged > 0
