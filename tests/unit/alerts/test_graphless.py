"""Graph-less decisions: one cause per burst, trailing symptoms, fresher bursts, named reasons."""

from __future__ import annotations

from engine.alerts.config import AlertsConfig
from engine.alerts.graphless import causes, decide_burst, entity, mixed, onset_keys, severity_tells_roles
from engine.alerts.pipeline import process, tick

from alerts_helpers import at, ev, feed, incident_of

CFG = AlertsConfig()  # the defaults: no graph, so the burst rules decide
GRAPH = AlertsConfig.model_validate({"depends_on": {"web": ["db"]}})


def _feed(events, cfg=CFG):
    return feed(events, cfg)


_inc = incident_of


def crit(name, service, fp, **labels):
    """Return a firing alert at the cause severity."""
    return ev(name, service, fp=fp, severity="critical", cluster="c1", **labels)


def warn(name, service, fp, **labels):
    """Return a firing alert below the cause severity."""
    return ev(name, service, fp=fp, severity="warning", cluster="c1", **labels)


def test_entity_prefers_service_then_the_configured_fallbacks():
    assert entity(CFG, {"service": "a", "app": "b", "job": "c"}) == "service=a"
    assert entity(CFG, {"app": "b", "job": "c"}) == "app=b"
    assert entity(CFG, {"job": "c"}) is None
    assert entity(AlertsConfig(burst_entity_labels=["app", "job"]), {"job": "c"}) == "job=c"
    assert onset_keys(CFG, {"app": "c", "severity": "critical", "namespace": "n"}) == [
        "onset|app=c", "cause|app=c", "sev|app=c|critical", "reach|cluster=|namespace=n"]
    assert onset_keys(CFG, {"app": "c", "severity": "warning"})[:3] == [
        "onset|app=c", "symptom|app=c", "sev|app=c|warning"]
    assert onset_keys(GRAPH, {"app": "c", "severity": "critical"}) == []  # a graph decides instead


def test_a_second_origin_opens_its_own_incident_with_a_named_reason():
    s, why = _feed([(0, crit("DatabaseDown", "db", "db")), (40, warn("HighLatency", "web", "web")),
                    (60, crit("QueueDown", "queue", "q")), (90, warn("Backlog", "worker", "wk"))])
    assert _inc(s, "web") == _inc(s, "db") != _inc(s, "q")
    assert why["q"].name == "second_cause" and "service=db" in why["q"].reason
    assert causes(s.incidents[_inc(s, "db")]) == {"service=db"}
    # The same origin firing a second alert is no second origin.
    s, why = _feed([(0, crit("DatabaseDown", "db", "db1")), (30, crit("ReplicationLag", "db", "db2"))])
    assert _inc(s, "db1") == _inc(s, "db2")


def test_severity_that_does_not_follow_roles_is_ignored():
    # db fires both critical and warning: severities here say nothing about origins.
    s, why = _feed([(0, crit("DatabaseDown", "db", "db")), (10, warn("SlowQueries", "db", "db-w")),
                    (60, crit("QueueDown", "queue", "q"))])
    inc = s.incidents[_inc(s, "db")]
    assert mixed(inc) == {"service=db"} and not severity_tells_roles([inc])
    assert _inc(s, "q") == _inc(s, "db") and why["q"].name == "burst"


def test_a_symptom_may_trail_a_burst_with_a_cause_longer_than_an_origin():
    events = [(0, crit("DatabaseDown", "db", "db")), (60, warn("HighLatency", "api", "api"))]
    # 300 s after api's onset: past the 180 s window, within the 360 s symptom window.
    s, why = _feed(events + [(360, warn("HighLatency", "web", "web"))])
    assert _inc(s, "web") == _inc(s, "db")
    assert why["web"].name == "burst" and "a symptom (service=web)" in why["web"].reason
    s, why = _feed(events + [(360, crit("EndpointDown", "web", "web"))])
    assert _inc(s, "web") != _inc(s, "db") and why["web"].name == "new"
    s, _ = _feed(events + [(360, warn("HighLatency", "web", "web"))],
                 AlertsConfig(burst_symptom_window_s=0))
    assert _inc(s, "web") != _inc(s, "db")


def test_a_fresh_burst_beats_a_stale_same_service_incident():
    # svc-9's unrelated alert opened an incident 540 s ago; a cascade reaches svc-9 now.
    s, why = _feed([(0, warn("DiskSpaceLow", "svc-9", "noise")), (500, crit("CacheDown", "cache", "c")),
                    (520, warn("HighLatency", "api", "api")), (540, warn("HighLatency", "svc-9", "s9"))])
    assert _inc(s, "s9") == _inc(s, "c") != _inc(s, "noise")
    assert why["s9"].name == "burst" and "fresher than incident" in why["s9"].reason
    # Without a burst in progress the same-service rule still applies.
    s, why = _feed([(0, warn("DiskSpaceLow", "svc-9", "noise")), (540, warn("HighLatency", "svc-9", "s9"))])
    assert _inc(s, "s9") == _inc(s, "noise") and why["s9"].name == "shared_labels"


def test_a_recurrence_during_a_fresh_burst_joins_it_instead_of_reopening():
    s, _ = _feed([(0, warn("HighLatency", "api", "api")),
                  (100, ev("HighLatency", "api", fp="api", status="resolved", start=0, cluster="c1"))])
    tick(s, CFG, at(500))  # the cool-down passes: the first incident resolves
    first = _inc(s, "api")
    assert not s.incidents[first].is_open
    why = {}
    for when, e in [(1000, crit("DatabaseDown", "db", "db")),
                    (1030, ev("HighLatency", "api", fp="api", start=1030, severity="warning", cluster="c1"))]:
        why.update({d.fingerprint: d for d in process(s, [e], CFG, at(when)).decisions if d.stage == "group"})
    assert _inc(s, "api") == _inc(s, "db") != first
    assert why["api"].name == "burst" and f"not reopening resolved incident #{first}" in why["api"].reason


def test_decide_burst_is_pure_and_returns_none_without_a_burst():
    s, _ = _feed([(0, crit("DatabaseDown", "db", "db"))])
    cands = list(s.incidents.values())
    assert decide_burst(warn("X", "web", "w"), cands, CFG, at(100)).incident is cands[0]
    assert decide_burst(warn("X", "web", "w"), cands, CFG, at(1000)) is None
    assert decide_burst(warn("X", "web", "w", namespace="other"), cands, CFG, at(100)) is None
    assert list(s.incidents.values()) == cands


def test_any_two_severities_of_one_entity_show_roles_are_not_followed_in_any_vocabulary():
    s, _ = _feed([(0, ev("Down", "db", fp="d1", severity="error", cluster="c1")),
                  (10, ev("Slow", "db", fp="d2", severity="warning", cluster="c1"))])
    inc = s.incidents[_inc(s, "d1")]
    assert mixed(inc) == set() and not severity_tells_roles([inc])  # neither is a cause severity
    s, _ = _feed([(0, ev("Down", "db", fp="d1", severity="error", cluster="c1")),
                  (10, ev("Slow", "api", fp="a1", severity="warning", cluster="c1"))])
    assert severity_tells_roles(list(s.incidents.values()))
