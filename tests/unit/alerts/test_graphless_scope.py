"""Graph-less scopes: the origin namespace's own front, and which of competing cascade fronts a hop continues."""

from __future__ import annotations

from engine.alerts.config import AlertsConfig
from engine.alerts.graphless import memo, scope_front

from alerts_helpers import ev, feed, incident_of

CFG = AlertsConfig()  # the defaults: no graph, so the burst rules decide
_inc = incident_of


def a(name, service, fp, ns, severity="warning", cluster="c1"):
    """Return a firing alert of a service in a namespace."""
    return ev(name, service, fp=fp, severity=severity, cluster=cluster, namespace=ns)


# error/warning: no cause severity by default, so only the burst window separates origins.
VAULT = (0, a("ServiceDown", "vault", "vault", "infra", "error"))
CASCADE = [VAULT, (60, a("UpstreamErrors", "orders-api", "oa", "orders")),
           (170, a("Latency", "orders-web", "ow", "orders"))]


def test_a_new_failure_back_in_the_origin_namespace_counts_only_the_alerts_there():
    # kafka fails 230 s after vault, 60 s after the cascade last grew in orders.
    s, why = feed(CASCADE + [(230, a("ServiceDown", "kafka", "kafka", "infra", "error"))], CFG)
    assert _inc(s, "ow") == _inc(s, "vault") != _inc(s, "kafka")
    assert why["kafka"].name == "new"
    inc = s.incidents[_inc(s, "vault")]
    assert memo(inc).origin == "burst|cluster=c1|namespace=infra"
    assert scope_front(inc, memo(inc).origin) == inc.opened_at.timestamp()  # vault, the last alert there
    assert scope_front(inc, "burst|cluster=c1|namespace=orders") == inc.opened_at.timestamp() + 170
    # In the namespace it crossed into, the incident-wide front still counts: 290 s after
    # orders-api's onset, 120 s after orders-web's.
    s, why = feed(CASCADE + [(290, a("Latency", "orders-worker", "ok", "orders"))], CFG)
    assert _inc(s, "ok") == _inc(s, "vault") and why["ok"].name == "burst"
    # A second vault instance at 200 s is no new onset: it cannot make infra look fresher than
    # the incident (last grown at 170 s), so kafka 190 s after that opens its own incident.
    s, _ = feed(CASCADE + [(200, a("ServiceDown", "vault", "vault-2", "infra", "error")),
                           (360, a("ServiceDown", "kafka", "kafka", "infra", "error"))], CFG)
    assert _inc(s, "vault-2") == _inc(s, "vault") != _inc(s, "kafka")
    # Within the window of the origin's own onset, a second failure there still joins.
    s, _ = feed(CASCADE + [(150, a("ServiceDown", "kafka", "kafka", "infra", "error"))], CFG)
    assert _inc(s, "kafka") == _inc(s, "vault")


def test_a_burst_the_alert_cannot_continue_does_not_compete_for_it():
    # A local failure opened in orders 250 s before the hop: too old to be a cascade's front.
    s, why = feed([(-150, a("PodRestarting", "orders-api", "oa", "orders", "error")), VAULT,
                   (100, a("UpstreamErrors", "feed-api", "fa", "feed"))], CFG)
    assert _inc(s, "fa") == _inc(s, "vault") != _inc(s, "oa")
    assert why["fa"].name == "cross_scope"
    # A fresh burst that opened below the hop's severity cannot be its origin either.
    s, why = feed([(-30, a("Latency", "search-api", "sa", "search", "info")), VAULT,
                   (60, a("UpstreamErrors", "feed-api", "fa", "feed"))], CFG)
    assert _inc(s, "fa") == _inc(s, "vault") != _inc(s, "sa")


def test_of_two_cascade_fronts_the_one_that_already_crossed_wins_else_the_earlier():
    local = (90, a("PodRestarting", "search-api", "sa", "search", "error"))
    s, why = feed(CASCADE[:2] + [local, (150, a("UpstreamErrors", "feed-api", "fa", "feed"))], CFG)
    assert _inc(s, "fa") == _inc(s, "oa") == _inc(s, "vault") != _inc(s, "sa")
    assert why["fa"].name == "cross_scope" and "already crossed scopes" in why["fa"].reason
    # Neither crossed yet: the one that began first has had a hop's delay to reach feed.
    s, why = feed([VAULT, local, (150, a("UpstreamErrors", "feed-api", "fa", "feed"))], CFG)
    assert _inc(s, "fa") == _inc(s, "vault") != _inc(s, "sa")
    assert why["fa"].name == "cross_scope" and "the earliest of 2 fresh bursts" in why["fa"].reason
    # The same when both already crossed: vault (0 s, into orders) before search (90 s, into feed).
    s, why = feed(CASCADE[:2] + [local, (120, a("UpstreamErrors", "feed-api", "fa", "feed")),
                                 (150, a("UpstreamErrors", "notify-api", "na", "notify"))], CFG)
    assert why["fa"].name == "cross_scope" and _inc(s, "fa") == _inc(s, "vault")
