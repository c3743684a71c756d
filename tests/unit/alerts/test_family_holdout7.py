"""The seventh held-out storm style (data-platform): what it generates, not how Opsbot scores on it."""

from __future__ import annotations

from collections import defaultdict

from engine.alerts.config import AlertsConfig
from engine.alerts.fingerprint import fingerprint_of
from engine.lab.alerts.family_holdout7 import PG_DOWN, SLA_MISSED, TASK_FAILED, holdout7_storm


def test_effects_follow_their_cause_by_minutes_and_no_identity_serves_two_causes_at_once():
    lagged = causes = recurring = 0
    for seed in range(10):
        storm = holdout7_storm(seed)
        by_truth, by_fp = defaultdict(list), defaultdict(list)
        for a in storm.alerts:
            by_truth[a.truth].append(a)
            by_fp[fingerprint_of(a.labels, frozenset())].append(a)
            assert not {"namespace", "cluster", "node", "host", "zone", "rack"} & set(a.labels)
        for alerts in by_fp.values():  # one alert identity is never firing for two incidents at once
            spans = sorted((a.start, a.end) for a in alerts)
            assert all(b[0] >= a[1] for a, b in zip(spans, spans[1:]))
        for truth, alerts in by_truth.items():
            recurring += truth.startswith("recurring-")
            names = [a.labels["alertname"] for a in sorted(alerts, key=lambda a: a.start)]
            if truth.startswith("inc-") and names[0] in (PG_DOWN, TASK_FAILED) and SLA_MISSED in names:
                causes += 1
                t0 = min(a.start for a in alerts)
                lagged += min(a.start for a in alerts if a.labels["alertname"] == SLA_MISSED) - t0 >= 300
        AlertsConfig(depends_on=storm.depends_on)  # a valid depends_on (no cycle)
    assert causes >= 10 and lagged == causes and recurring >= 20
