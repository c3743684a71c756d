"""The eighth held-out storm style (edge-network): what it generates, not how Opsbot scores on it."""

from __future__ import annotations

from collections import defaultdict

from engine.alerts.config import AlertsConfig
from engine.alerts.fingerprint import fingerprint_of
from engine.lab.alerts.family_holdout8 import BGP_DOWN, holdout8_storm


def test_alerts_name_probed_targets_and_shared_exporters_and_no_identity_serves_two_causes_at_once():
    outages = recurring = 0
    for seed in range(10):
        storm = holdout8_storm(seed)
        by_truth, by_fp = defaultdict(list), defaultdict(list)
        for a in storm.alerts:
            by_truth[a.truth].append(a)
            by_fp[fingerprint_of(a.labels, frozenset())].append(a)
            assert not {"namespace", "cluster", "service", "node", "host", "rack"} & set(a.labels)
            assert "instance" in a.labels and "job" in a.labels
        for alerts in by_fp.values():  # one alert identity is never firing for two incidents at once
            spans = sorted((a.start, a.end) for a in alerts)
            assert all(b[0] >= a[1] for a, b in zip(spans, spans[1:]))
        for truth, alerts in by_truth.items():
            recurring += truth.startswith("recurring-")
            outages += truth.startswith("inc-") and len({a.labels["instance"] for a in alerts}) > 1 and any(
                a.labels["alertname"] == BGP_DOWN for a in alerts)
        AlertsConfig(depends_on=storm.depends_on)  # a valid depends_on (no cycle)
    assert outages >= 10 and recurring >= 20
