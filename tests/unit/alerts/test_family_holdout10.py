"""The tenth held-out storm style (ml-serving): what it generates, not how Opsbot scores on it."""

from __future__ import annotations

from collections import defaultdict

from engine.alerts.config import AlertsConfig
from engine.alerts.fingerprint import fingerprint_of
from engine.lab.alerts.family_holdout10 import QUEUE, holdout10_storm


def test_a_saturated_pool_spreads_over_minutes_and_no_identity_serves_two_causes_at_once():
    slow_cascades = recurring = 0
    for seed in range(10):
        storm = holdout10_storm(seed)
        by_truth, by_fp = defaultdict(list), defaultdict(list)
        for a in storm.alerts:
            by_truth[a.truth].append(a)
            by_fp[fingerprint_of(a.labels, frozenset())].append(a)
            assert not {"service", "namespace", "cluster", "node", "host", "hostname", "rack", "zone"} & set(a.labels)
        for alerts in by_fp.values():  # one alert identity is never firing for two incidents at once
            spans = sorted((a.start, a.end) for a in alerts)
            assert all(b[0] >= a[1] for a, b in zip(spans, spans[1:]))
        for truth, alerts in by_truth.items():
            recurring += truth.startswith("recurring-")
            starts = [a.start for a in alerts]
            slow_cascades += truth.startswith("inc-") and max(starts) - min(starts) > 480 and any(
                a.labels["alertname"] == QUEUE for a in alerts)
        AlertsConfig(depends_on=storm.depends_on)  # a valid depends_on (no cycle)
    assert slow_cascades >= 5 and recurring >= 20
