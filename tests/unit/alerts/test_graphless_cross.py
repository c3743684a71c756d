"""Graph-less crossing between scopes: one young fresh burst in the cluster, never a second origin."""

from __future__ import annotations

from engine.alerts.config import AlertsConfig
from engine.alerts.graphless import decide_cross_scope

from alerts_helpers import at, ev, feed, incident_of

CFG = AlertsConfig()  # the defaults: no graph, so the burst rules decide


def _feed(events, cfg=CFG):
    return feed(events, cfg)


_inc = incident_of


def a(name, service, fp, ns, severity="warning", cluster="c1"):
    """Return a firing alert of a service in a namespace."""
    return ev(name, service, fp=fp, severity=severity, cluster=cluster, namespace=ns)


ROOT = (0, a("ServiceDown", "vault", "vault", "infra", "critical"))


def test_a_platform_cascade_crosses_into_a_quiet_namespace_with_a_named_reason():
    s, why = _feed([ROOT, (60, a("UpstreamErrors", "orders-api", "oa", "orders")),
                    (90, a("Latency", "orders-web", "ow", "orders")),
                    (150, a("UpstreamErrors", "feed-api", "fa", "feed"))])
    assert _inc(s, "oa") == _inc(s, "ow") == _inc(s, "fa") == _inc(s, "vault")
    assert why["oa"].name == "cross_scope" and "namespace=orders" in why["oa"].reason
    assert "the only fresh burst in cluster" in why["oa"].reason
    assert why["ow"].name == "burst"  # once crossed, the namespace's own burst rule continues it


def test_no_crossing_for_an_origin_another_cluster_a_stale_or_old_burst_or_two_candidates():
    # An alert at cause severity where severities follow roles starts its own cascade.
    s, why = _feed([ROOT, (60, a("PodRestarting", "orders-api", "oa", "orders", "critical"))])
    assert _inc(s, "oa") != _inc(s, "vault") and why["oa"].name == "new"
    s, _ = _feed([ROOT, (60, a("UpstreamErrors", "orders-api", "oa", "orders", cluster="c2"))])
    assert _inc(s, "oa") != _inc(s, "vault")
    s, _ = _feed([ROOT, (130, a("UpstreamErrors", "orders-api", "oa", "orders"))])  # past 120 s
    assert _inc(s, "oa") != _inc(s, "vault")
    # The burst keeps growing in its own namespace, but it opened too long ago to be crossed from.
    s, _ = _feed([ROOT, (100, a("Down", "vault-agent", "va", "infra")),
                  (200, a("UpstreamErrors", "orders-api", "oa", "orders"))])
    assert _inc(s, "va") == _inc(s, "vault") != _inc(s, "oa")
    # Two fresh bursts in the cluster: the evidence names neither.
    s, _ = _feed([ROOT, (30, a("Down", "search-db", "sd", "search", "critical")),
                  (60, a("UpstreamErrors", "orders-api", "oa", "orders"))])
    assert _inc(s, "oa") not in (_inc(s, "vault"), _inc(s, "sd"))
    s, _ = _feed([ROOT, (60, a("UpstreamErrors", "orders-api", "oa", "orders"))],
                 AlertsConfig(burst_cross_window_s=0))
    assert _inc(s, "oa") != _inc(s, "vault")


def test_decide_cross_scope_is_pure_and_ignores_its_own_scope():
    s, _ = _feed([ROOT])
    cands = list(s.incidents.values())
    assert decide_cross_scope(a("X", "orders-api", "oa", "orders"), cands, CFG, at(60)).incident is cands[0]
    assert decide_cross_scope(a("X", "vault-2", "v2", "infra"), cands, CFG, at(60)) is None
    assert list(s.incidents.values()) == cands
