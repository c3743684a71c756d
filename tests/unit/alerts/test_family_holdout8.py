"""The eighth held-out storm style (edge-network): what it generates, not how Opsbot scores on it."""

from __future__ import annotations

from engine.lab.alerts.family_holdout8 import BGP_DOWN, holdout8_storm
from tests.unit.alerts.storm_checks import alerts_by_truth


def test_alerts_name_probed_targets_and_shared_exporters_and_no_identity_serves_two_causes_at_once():
    outages = recurring = 0
    for seed in range(10):
        storm = holdout8_storm(seed)
        by_truth = alerts_by_truth(storm, {"namespace", "cluster", "service", "node", "host", "rack"})
        for a in storm.alerts:
            assert "instance" in a.labels and "job" in a.labels
        for truth, alerts in by_truth.items():
            recurring += truth.startswith("recurring-")
            outages += truth.startswith("inc-") and len({a.labels["instance"] for a in alerts}) > 1 and any(
                a.labels["alertname"] == BGP_DOWN for a in alerts)
    assert outages >= 10 and recurring >= 20
