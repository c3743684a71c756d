"""The eighth held-out storm style (edge-network): what it generates, not how Opsbot scores on it."""

from __future__ import annotations

from collections import defaultdict

from engine.alerts.config import AlertsConfig
from engine.alerts.fingerprint import fingerprint_of
from engine.lab.alerts.family import BASE
from engine.lab.alerts.family_holdout7_wire import GROUP_WAIT_S
from engine.lab.alerts.family_holdout8 import BGP_DOWN, edge_deliveries, holdout8_knobs, holdout8_storm


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


def test_alertmanager_timers_deliver_in_group_batches_and_the_style_is_deterministic():
    for seed in range(5):
        a, b = holdout8_storm(seed), holdout8_storm(seed)
        assert [(x.labels, x.start, x.truth) for x in a.alerts] == [(x.labels, x.start, x.truth) for x in b.alerts]
        feed = edge_deliveries(a)
        assert feed == edge_deliveries(b)
        interval = holdout8_knobs(seed)[1]["group_interval"]
        first: dict[tuple[str, object], float] = {}
        for at, evs in feed:
            for ev in evs:
                if ev.status.value == "firing":
                    first.setdefault((ev.fingerprint, ev.starts_at), at - (ev.starts_at - BASE).total_seconds())
        assert 0 <= min(first.values()) and max(first.values()) <= max(GROUP_WAIT_S, interval) + 1e-6
        assert len(first) == len(a.alerts)
