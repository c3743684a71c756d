"""The seventh held-out storm style (data-platform): what it generates, not how Opsbot scores on it."""

from __future__ import annotations

from engine.lab.alerts.family_holdout7 import PG_DOWN, SLA_MISSED, TASK_FAILED, holdout7_storm
from tests.unit.alerts.storm_checks import alerts_by_truth


def test_effects_follow_their_cause_by_minutes_and_no_identity_serves_two_causes_at_once():
    lagged = causes = recurring = 0
    for seed in range(10):
        storm = holdout7_storm(seed)
        by_truth = alerts_by_truth(storm, {"namespace", "cluster", "node", "host", "zone", "rack"})
        for truth, alerts in by_truth.items():
            recurring += truth.startswith("recurring-")
            names = [a.labels["alertname"] for a in sorted(alerts, key=lambda a: a.start)]
            if truth.startswith("inc-") and names[0] in (PG_DOWN, TASK_FAILED) and SLA_MISSED in names:
                causes += 1
                t0 = min(a.start for a in alerts)
                lagged += min(a.start for a in alerts if a.labels["alertname"] == SLA_MISSED) - t0 >= 300
    assert causes >= 10 and lagged == causes and recurring >= 20
