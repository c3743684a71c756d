"""The second held-out storm style (k8s-nodes): what it generates, not how Opsbot scores on it."""

from __future__ import annotations

from collections import defaultdict

from engine.alerts.fingerprint import fingerprint_of
from engine.lab.alerts.family_holdout2 import HOLDOUT2_GROUP_BY, holdout2_storm
from engine.lab.alerts.family_wire import deliveries


def test_a_node_failure_takes_the_pods_scheduled_on_that_node_and_their_callers():
    node_incidents = 0
    for seed in range(6):
        storm = holdout2_storm(seed)
        by_truth = defaultdict(list)
        for a in storm.alerts:
            by_truth[a.truth].append(a)
            assert a.labels["pod"] if a.labels["alertname"] != "KubeNodeNotReady" else a.labels["node"]
        for alerts in by_truth.values():
            nodes = [a for a in alerts if a.labels["alertname"] == "KubeNodeNotReady"]
            if not nodes:
                continue
            node_incidents += 1
            node = nodes[0].labels["node"]
            pods = [a for a in alerts if a.labels["alertname"] == "KubePodNotReady"]
            assert pods and all(p.labels["node"] == node and p.start > nodes[0].start for p in pods)
            # The node's alert comes from kube-state-metrics, not from a service of the call graph.
            assert nodes[0].labels["service"] == "kube-state-metrics"
        # One alert per (labels, incident): no two alerts of an incident share a fingerprint.
        fps = [(fingerprint_of(a.labels, frozenset()), a.truth) for a in storm.alerts]
        assert len(fps) == len(set(fps))
    assert node_incidents >= 3


def test_the_style_is_deterministic_and_delivers_grouped_by_alertname_and_namespace():
    a, b = holdout2_storm(3), holdout2_storm(3)
    assert [(x.labels, x.start, x.truth) for x in a.alerts] == [(x.labels, x.start, x.truth) for x in b.alerts]
    for _, events in deliveries(a, group_by=HOLDOUT2_GROUP_BY)[:50]:
        assert len({(e.labels["alertname"], e.labels["namespace"]) for e in events}) == 1
