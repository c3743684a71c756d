"""Graph-less crossing between scopes: one fresh burst in the cluster, ranked severities, hop chain."""

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


def test_no_crossing_for_an_origin_another_cluster_or_a_stale_or_old_burst():
    # An alert at cause severity where severities follow roles starts its own cascade.
    s, why = _feed([ROOT, (60, a("PodRestarting", "orders-api", "oa", "orders", "critical"))])
    assert _inc(s, "oa") != _inc(s, "vault") and why["oa"].name == "new"
    s, _ = _feed([ROOT, (60, a("UpstreamErrors", "orders-api", "oa", "orders", cluster="c2"))])
    assert _inc(s, "oa") != _inc(s, "vault")
    s, _ = _feed([ROOT, (190, a("UpstreamErrors", "orders-api", "oa", "orders"))])  # past 180 s
    assert _inc(s, "oa") != _inc(s, "vault")
    # 130 s after the onset: within the symptom window where severity follows roles, past the
    # 120 s crossing window where it does not (vault fired at two severities).
    s, _ = _feed([ROOT, (130, a("UpstreamErrors", "orders-api", "oa", "orders"))])
    assert _inc(s, "oa") == _inc(s, "vault")
    s, _ = _feed([ROOT, (0, a("Latency", "vault", "vault-w", "infra", "warning")),
                  (130, a("UpstreamErrors", "orders-api", "oa", "orders"))])
    assert _inc(s, "oa") != _inc(s, "vault")
    # The burst keeps growing in its own namespace, but it opened too long ago to be crossed from.
    s, _ = _feed([ROOT, (100, a("Down", "vault-agent", "va", "infra")),
                  (200, a("UpstreamErrors", "orders-api", "oa", "orders"))])
    assert _inc(s, "va") == _inc(s, "vault") != _inc(s, "oa")
    # Two fresh bursts in the cluster, neither crossed yet: the one that began first.
    s, why = _feed([ROOT, (30, a("Down", "search-db", "sd", "search", "critical")),
                    (60, a("UpstreamErrors", "orders-api", "oa", "orders"))])
    assert _inc(s, "oa") == _inc(s, "vault") != _inc(s, "sd") and "earliest of 2" in why["oa"].reason
    s, _ = _feed([ROOT, (60, a("UpstreamErrors", "orders-api", "oa", "orders"))],
                 AlertsConfig(burst_cross_window_s=0))
    assert _inc(s, "oa") != _inc(s, "vault")


def test_decide_cross_scope_is_pure_and_ignores_its_own_scope():
    s, _ = _feed([ROOT])
    cands = list(s.incidents.values())
    assert decide_cross_scope(a("X", "orders-api", "oa", "orders"), cands, CFG, at(60)).incident is cands[0]
    assert decide_cross_scope(a("X", "vault-2", "v2", "infra"), cands, CFG, at(60)) is None
    assert list(s.incidents.values()) == cands


def test_severity_vocabularies_other_than_critical_rank_the_crossing():
    # error/warning: the hop is below the burst it continues, by the `severities` order.
    s, why = _feed([(0, a("ServiceDown", "vault", "vault", "infra", "error")),
                    (60, a("UpstreamErrors", "orders-api", "oa", "orders", "warning"))])
    assert _inc(s, "oa") == _inc(s, "vault") and "warning below its error" in why["oa"].reason
    # page/ticket: unknown to `severities`, an origin severity ranks above it.
    s, _ = _feed([(0, a("ServiceDown", "vault", "vault", "infra", "page")),
                  (60, a("UpstreamErrors", "orders-api", "oa", "orders", "ticket"))])
    assert _inc(s, "oa") == _inc(s, "vault")
    # Where severity follows roles, a hop as severe as the burst is an origin of its own.
    s, why = _feed([(0, a("ServiceDown", "vault", "vault", "infra", "error")),
                    (60, a("PodRestarting", "orders-api", "oa", "orders", "error"))])
    assert _inc(s, "oa") != _inc(s, "vault") and why["oa"].name == "new"


def test_where_severity_does_not_follow_roles_timing_alone_decides():
    # vault fires at two severities: severities here say nothing about origins.
    mixed_root = [ROOT, (10, a("Latency", "vault", "vault-w", "infra", "warning"))]
    s, why = _feed(mixed_root + [(60, a("PodRestarting", "orders-api", "oa", "orders", "critical"))])
    assert _inc(s, "oa") == _inc(s, "vault") and why["oa"].name == "cross_scope"
    assert "timing alone" in why["oa"].reason


def test_the_hop_chain_measures_the_age_from_the_newest_scope_reached():
    hops = [ROOT, (60, a("UpstreamErrors", "orders-api", "oa", "orders")),
            (150, a("Latency", "orders-web", "ow", "orders"))]
    # 230 s after the opening, 170 s after the burst reached orders: a further dependent.
    s, why = _feed(hops + [(230, a("UpstreamErrors", "feed-api", "fa", "feed"))])
    assert _inc(s, "fa") == _inc(s, "vault") and why["fa"].name == "cross_scope"
    assert "reached its newest scope 170s ago" in why["fa"].reason
    # Without a crossing, growth in its own namespace does not keep the burst crossable.
    s, _ = _feed([ROOT, (150, a("Down", "vault-agent", "va", "infra")),
                  (230, a("UpstreamErrors", "feed-api", "fa", "feed"))])
    assert _inc(s, "fa") != _inc(s, "vault")
    # Where severities do not follow roles, no crossing was checked by them: age from the opening.
    s, _ = _feed(hops[:1] + [(10, a("Latency", "vault", "vault-w", "infra", "warning"))] + hops[1:]
                 + [(230, a("UpstreamErrors", "feed-api", "fa", "feed"))])
    assert _inc(s, "oa") == _inc(s, "vault") != _inc(s, "fa")
