"""The third held-out storm style (vm-hosts): what it generates, not how Opsbot scores on it."""

from __future__ import annotations

from collections import defaultdict

from engine.alerts.fingerprint import fingerprint_of
from engine.lab.alerts.family_holdout3 import HOLDOUT3_GROUP_BY, HOST_ALERTS, holdout3_storm
from engine.lab.alerts.family_wire import deliveries


def _host(instance: str) -> str:
    return instance.rsplit(":", 1)[0]


def test_a_host_failure_precedes_alerts_on_instances_of_that_host():
    host_incidents = 0
    for seed in range(6):
        storm = holdout3_storm(seed)
        by_truth = defaultdict(list)
        for a in storm.alerts:
            by_truth[a.truth].append(a)
            assert ":" in a.labels["instance"] and "node" not in a.labels and "cluster" not in a.labels
        for alerts in by_truth.values():
            hosts = [a for a in alerts if a.labels["alertname"] in HOST_ALERTS]
            if not hosts:
                continue
            host_incidents += 1
            h = _host(hosts[0].labels["instance"])
            assert hosts[0].labels["job"] == "node" and "service" not in hosts[0].labels
            on_host = [a for a in alerts if "service" in a.labels and _host(a.labels["instance"]) == h]
            assert on_host and all(a.start > min(x.start for x in hosts) for a in on_host)
        fps = [(fingerprint_of(a.labels, frozenset()), a.truth) for a in storm.alerts]
        assert len(fps) == len(set(fps))
    assert host_incidents >= 3


def test_the_declared_graph_is_partial_and_the_style_deterministic():
    a, b = holdout3_storm(2), holdout3_storm(2)
    assert [(x.labels, x.start, x.truth) for x in a.alerts] == [(x.labels, x.start, x.truth) for x in b.alerts]
    served = {x.labels["service"] for s in range(6) for x in holdout3_storm(s).alerts if "service" in x.labels}
    declared = {s for seed in range(6) for s in holdout3_storm(seed).depends_on}
    assert declared and served - declared  # some services that alert declare no upstreams
    for _, events in deliveries(a, group_by=HOLDOUT3_GROUP_BY)[:50]:
        assert len({(e.labels["alertname"], e.labels["job"]) for e in events}) == 1
