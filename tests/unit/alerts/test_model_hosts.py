"""Co-location in the grouping model: where an alert runs, machine alerts, and what the graph cannot place."""

from __future__ import annotations

import math

import pytest

from engine.alerts.config import AlertsConfig
from engine.alerts.model import FEATURES, GroupingModel
from engine.alerts.model_entities import EntityStats
from engine.alerts.model_keys import label_values, location, node_like
from engine.alerts.pipeline import PipelineState, process

from alerts_helpers import at, ev, feed, incident_of

E60 = math.exp(-60 / 900)  # a minute old, on the features' 900 s scale
GRAPH = AlertsConfig.model_validate({"depends_on": {"web": ["api"], "api": ["db"]}})


def test_location_reads_the_node_or_the_host_of_instance_and_whether_the_alert_is_about_the_machine():
    assert location({"node": "N1", "pod": "api-1", "service": "api"}, "api") == ("n1", False)
    assert location({"node": "n1", "service": "kube-state-metrics"}, "kube-state-metrics") == ("n1", True)
    assert location({"instance": "vm-07.internal:9100", "job": "node"}, "") == ("vm-07.internal", True)
    assert location({"instance": "vm-07.internal:8080", "service": "api"}, "api") == ("vm-07.internal", False)
    assert location({"instance": "[fe80::1]:9100"}, "") == ("fe80::1", True)
    assert location({"service": "api"}, "api") is None
    # kube-state-metrics reports every pod's readiness from its own address: not where the pod runs.
    ksm = {"alertname": "KubePodNotReady", "pod": "api-7f9", "namespace": "shop", "instance": "10.2.0.5:8080",
           "job": "kube-state-metrics"}
    assert location(ksm, "") is None
    assert location(dict(ksm, pod="billing-1c2", namespace="money"), "") is None  # never "same host" as api-7f9


def test_a_node_label_is_read_in_any_spelling_and_is_neither_an_entity_nor_a_label_value():
    # NVIDIA's DCGM exporter names the node `Hostname`; its instance is the exporter's address.
    dcgm = {"alertname": "GPUXidErrors", "job": "dcgm-exporter", "instance": "10.8.0.12:9400", "gpu": "3",
            "Hostname": "gke-ml-a100-1f2e"}
    assert location(dcgm, "") == ("gke-ml-a100-1f2e", True)
    assert location({"exported_node": "N2", "node": "n3"}, "") == ("n3", True)  # the usual spelling first
    assert location({"node_name": "N4", "pod": "p"}, "") == ("n4", False)
    assert node_like("Hostname") and node_like("HOST") and node_like("exported_node") and not node_like("hostgroup")
    assert not any(v.startswith("Hostname=") for v in label_values(dcgm))
    stats = EntityStats()
    for name in ("GPUXidErrors", "GPUDoubleBitECCErrors"):
        for node in ("a", "b"):
            stats.observe(dict(dcgm, alertname=name, Hostname=node), frozenset())
    assert not stats.is_entity_label("Hostname")


def _features(cfg, events, new, when):
    state = PipelineState({}, {})
    for t, e in events:
        process(state, [e], cfg, at(t))
    inc = next(iter(state.incidents.values()))
    return dict(zip(FEATURES, GroupingModel(cfg).features(cfg, new.labels, inc, at(when).timestamp())[1]))


def test_a_workload_is_linked_to_its_hosts_alert_and_to_workloads_on_the_same_host():
    host = ev("HostDiskFull", "", fp="h", instance="vm-07:9100", job="node")
    f = _features(GRAPH, [(0, host)], ev("HighLatency", "billing", instance="vm-07:8080"), 60)
    assert f["host_link"] == pytest.approx(E60, abs=1e-6) and f["same_host"] == 0  # the incident's alert is the host's
    f = _features(GRAPH, [(0, ev("HighLatency", "billing", fp="b", instance="vm-07:8080"))],
                  ev("HighErrorRate", "orders", instance="vm-07:3000"), 60)
    assert f["same_host"] == pytest.approx(E60, abs=1e-6) and f["host_link"] == 0
    f = _features(GRAPH, [(0, host)], ev("HighLatency", "billing", instance="vm-08:8080"), 60)
    assert f["same_host"] == f["host_link"] == 0  # another host


def test_unmapped_says_the_graph_cannot_place_the_pair_and_is_zero_without_a_graph():
    db = [(0, ev("DatabaseDown", "db", fp="db"))]
    assert _features(GRAPH, db, ev("HighLatency", "billing"), 60)["unmapped"] == pytest.approx(E60, abs=1e-6)
    assert _features(GRAPH, db, ev("HighLatency", "web"), 60)["unmapped"] == 0  # both placed: the graph speaks
    assert _features(GRAPH, [(0, ev("X", "billing", fp="b"))], ev("HighLatency", "web"), 60)["unmapped"] > 0.9
    assert _features(AlertsConfig(), db, ev("HighLatency", "billing"), 60)["unmapped"] == 0


def test_a_hosts_failure_takes_its_workloads_with_the_graph_and_why_names_the_link():
    # billing and orders are not neighbours in the graph (nor in it at all): only vm-07 ties them.
    state, last = feed([(0, ev("HostOutOfMemory", "", fp="h", instance="vm-07:9100", job="node")),
                        (60, ev("HighLatency", "billing", fp="b", start=60, instance="vm-07:8080")),
                        (150, ev("HighErrorRate", "orders", fp="o", start=150, instance="vm-07:3000"))], GRAPH)
    assert incident_of(state, "h") == incident_of(state, "b") == incident_of(state, "o")
    assert "a workload and its node/host 60s ago" in last["b"].reason
    state, _ = feed([(0, ev("HostOutOfMemory", "", fp="h", instance="vm-07:9100", job="node")),
                     (60, ev("HighLatency", "billing", fp="b", start=60, instance="vm-09:8080"))], GRAPH)
    assert incident_of(state, "h") != incident_of(state, "b")  # another host, no other evidence


def test_a_machine_alert_links_to_workloads_there_only_when_they_began_at_or_after_it():
    # Cause before effect: workloads that alerted before the machine's alert belong to something earlier.
    work = ev("HighLatency", "billing", fp="b", instance="vm-07:8080")
    host = ev("HostDiskFull", "", instance="vm-07:9100", job="node")
    assert _features(GRAPH, [(0, work)], host, 60)["host_link"] == 0
    # Delivered after its effects: a workload there began after the machine's alert did.
    assert _features(GRAPH, [(0, work)], host, -30)["host_link"] == 1
