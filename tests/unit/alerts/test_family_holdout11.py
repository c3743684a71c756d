"""The eleventh held-out storm style (k8s-mesh): what it generates, not how Opsbot scores on it."""

from __future__ import annotations

from engine.lab.alerts.family_holdout11 import ETCD_MEMBER, ETCD_SLOW, KSM, holdout11_knobs, holdout11_storm
from tests.unit.alerts.storm_checks import alerts_by_truth


def test_a_control_plane_outage_reaches_several_namespaces_and_replicas_double_the_alerts():
    wide = doubled = 0
    for seed in range(10):
        storm = holdout11_storm(seed)
        by_truth = alerts_by_truth(storm, {"host", "hostname", "rack", "zone"})
        for alerts in by_truth.values():
            names = {a.labels["alertname"] for a in alerts}
            namespaces = {a.labels["namespace"] for a in alerts if "namespace" in a.labels}
            wide += bool(names & {ETCD_SLOW, ETCD_MEMBER}) and len(namespaces) >= 3
        # a label `service` is never a workload: kube-state-metrics' Service, node-exporter's or a scrape target's
        assert {a.labels["service"] for a in storm.alerts if a.labels.get("job") == KSM["job"]} <= {KSM["service"]}
        if holdout11_knobs(seed)[1]["vocab"]["replicas"]:
            replicas = {a.labels.get("prometheus_replica") for a in storm.alerts}
            doubled += replicas == {"prometheus-k8s-0", "prometheus-k8s-1"}
    assert wide >= 3 and doubled >= 3
