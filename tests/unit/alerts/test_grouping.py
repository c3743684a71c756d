"""Grouping rules: membership, inhibition, dependencies, shared labels, group key, windows."""

from __future__ import annotations

from engine.alerts import lifecycle
from engine.alerts.config import AlertsConfig
from engine.alerts.dedup import apply_dedup, decide_dedup
from engine.alerts.grouping import choose_incident, upstream_closure
from engine.alerts.pipeline import PipelineState, process

from alerts_helpers import at, ev

CFG = AlertsConfig.model_validate({
    "depends_on": {"checkout": ["payments"], "payments": ["db"], "search": ["db"]},
    "inhibit": [{"name": "cluster-down", "source_match": {"alertname": "ClusterDown"},
                 "target_match": {"severity": "warning"}, "equal": ["cluster"]}],
})


def _state(e, when=0):
    return apply_dedup(None, e, decide_dedup(None, e, at(when), 300), at(when))


def _feed(events):
    state = PipelineState({}, {})
    for when, e in events:
        process(state, [e], CFG, at(when))
    return state


def _incident_of(state, fp):
    return state.alerts[fp].incident_id


def test_downstream_symptom_joins_upstream_cause_and_siblings_do_not():
    s = _feed([(0, ev("DatabaseDown", "db", fp="db")), (60, ev("HighLatency", "checkout", fp="co")),
               (90, ev("HighLatency", "search", fp="se")), (100, ev("Disk", "billing", fp="bi"))])
    assert _incident_of(s, "co") == _incident_of(s, "db") == _incident_of(s, "se")
    assert _incident_of(s, "bi") != _incident_of(s, "db")
    assert upstream_closure(CFG)["checkout"] == {"payments", "db"}


def test_late_cause_joins_symptoms_only_within_cause_lag():
    s = _feed([(0, ev("HighLatency", "checkout", fp="co")), (120, ev("DatabaseDown", "db", fp="db"))])
    assert _incident_of(s, "db") == _incident_of(s, "co")
    s = _feed([(0, ev("HighLatency", "checkout", fp="co")), (1000, ev("DatabaseDown", "db", fp="db"))])
    assert _incident_of(s, "db") != _incident_of(s, "co")


def test_dependency_window_runs_from_when_the_cause_fired():
    s = _feed([(0, ev("DatabaseDown", "db", fp="db")), (CFG.dependency_window_s + 60,
                                                        ev("HighLatency", "checkout", fp="co"))])
    assert _incident_of(s, "co") != _incident_of(s, "db")


def test_inhibited_child_attaches_to_parent_silently():
    parent = ev("ClusterDown", "k8s", fp="p", cluster="eu", severity="critical")
    child = ev("PodPending", "other", fp="c", cluster="eu")
    s = _feed([(0, parent)])
    inc = s.incidents[_incident_of(s, "p")]
    g = choose_incident(child, _state(child, 10), list(s.incidents.values()), CFG, at(10))
    assert g.name == "inhibited" and g.incident is inc and g.inhibited_by == "p"
    other = ev("PodPending", "other", fp="c2", cluster="us")
    assert choose_incident(other, _state(other), list(s.incidents.values()), CFG, at(10)).incident is None


def test_shared_labels_window_and_group_key_fallback():
    s = _feed([(0, ev("A", "billing", fp="a")), (300, ev("B", "billing", fp="b")),
               (3000, ev("C", "billing", fp="c"))])
    assert _incident_of(s, "a") == _incident_of(s, "b") != _incident_of(s, "c")
    s = _feed([(0, ev("A", "x", fp="a", group_key="g1")), (60, ev("A", "y", fp="b", group_key="g1"))])
    assert _incident_of(s, "a") == _incident_of(s, "b")


def test_resolved_incident_reopens_within_window_and_not_after():
    e = ev("A", "billing", fp="a")
    s = _feed([(0, e), (60, ev("A", "billing", fp="a", status="resolved"))])
    inc = s.incidents[_incident_of(s, "a")]
    lifecycle.tick(inc, CFG, at(60 + CFG.resolve_cooldown_s + 1))
    assert inc.status.value == "resolved"
    process(s, [ev("A", "billing", fp="a", start=1000)], CFG, at(1000))
    assert inc.status.value == "open" and inc.reopen_count == 1
    s2 = _feed([(0, e), (60, ev("A", "billing", fp="a", status="resolved"))])
    inc2 = s2.incidents[_incident_of(s2, "a")]
    lifecycle.tick(inc2, CFG, at(400))
    late = 400 + CFG.reopen_window_s + 10
    process(s2, [ev("A", "billing", fp="a", start=late)], CFG, at(late))
    assert _incident_of(s2, "a") != inc2.id and inc2.status.value == "resolved"


def test_same_service_in_another_cluster_is_another_deployment():
    cfg = AlertsConfig(burst_window_s=0)
    state = PipelineState({}, {})
    for when, e in [(0, ev("KafkaDown", "kafka", fp="k1", cluster="prod-1")),
                    (60, ev("KafkaDown", "kafka", fp="k2", cluster="prod-2")),
                    (90, ev("KafkaLag", "kafka", fp="k3", cluster="prod-1")),
                    (100, ev("Down", "vault", fp="v1")), (160, ev("Sealed", "vault", fp="v2"))]:
        process(state, [e], cfg, at(when))
    assert _incident_of(state, "k1") == _incident_of(state, "k3") != _incident_of(state, "k2")
    assert _incident_of(state, "v1") == _incident_of(state, "v2")  # no cluster label: one scope


def test_second_critical_origin_beside_an_incident_opens_its_own():
    cfg = AlertsConfig.model_validate({"depends_on": {"checkout": ["payments", "cache"], "payments": ["db"]}})

    def feed(late):
        state = PipelineState({}, {})
        for when, e in [(0, ev("PaymentsDown", "payments", fp="pay", severity="critical")),
                        (60, ev("HighLatency", "checkout", fp="co")), (120, late)]:
            process(state, [e], cfg, at(when))
        return state

    # Above where the incident began: its own cause, firing late.
    s = feed(ev("DatabaseDown", "db", fp="late", severity="critical"))
    assert _incident_of(s, "late") == _incident_of(s, "pay")
    # Beside it, at a cause severity: a second origin that only shares a symptom's dependency.
    late = ev("CacheDown", "cache", fp="late", severity="critical")
    s = feed(late)
    assert _incident_of(s, "late") != _incident_of(s, "pay")
    s.alerts.pop("late")  # ask again what a first delivery would decide, with the incident open
    why = choose_incident(late, _state(late, 120), list(s.incidents.values())[:1], cfg, at(120))
    assert why.incident is None and why.name == "second_cause" and "second origin" in why.reason
    # Beside it, below cause severity: still the likely cause of the symptom it explains.
    s = feed(ev("CacheSlow", "cache", fp="late"))
    assert _incident_of(s, "late") == _incident_of(s, "co")


def test_symptom_stays_with_the_cause_that_already_explains_it():
    cfg = AlertsConfig.model_validate({"depends_on": {"checkout": ["payments", "cache"], "web": ["checkout"],
                                                   "api": ["payments", "cache"]}})
    state = PipelineState({}, {})
    for when, e in [(0, ev("PaymentsDown", "payments", fp="pay", severity="critical")),
                    (60, ev("HighLatency", "checkout", fp="co")),
                    (120, ev("CacheDown", "cache", fp="cache", severity="critical"))]:
        process(state, [e], cfg, at(when))
    assert _incident_of(state, "cache") != _incident_of(state, "pay")  # a second origin
    # checkout's next alert links to both, and cache fired more recently; checkout already
    # fires in the payments incident, so that is where it goes, and its own symptoms follow.
    late = ev("UpstreamTimeouts", "checkout", fp="co2")
    why = choose_incident(late, _state(late, 125), list(state.incidents.values()), cfg, at(125))
    assert why.name == "downstream" and why.incident.id == _incident_of(state, "pay")
    cache = _incident_of(state, "cache")
    assert f"checkout already fires there, which outranks cache in incident #{cache}" in why.reason
    for when, e in [(125, late), (150, ev("HighLatency", "web", fp="web"))]:
        process(state, [e], cfg, at(when))
    assert _incident_of(state, "co2") == _incident_of(state, "web") == _incident_of(state, "pay")
    # A service not yet in any incident still follows the cause that fired most recently.
    api = ev("HighLatency", "api", fp="api")
    why = choose_incident(api, _state(api, 160), list(state.incidents.values()), cfg, at(160))
    assert why.incident.id == cache and "already fires" not in why.reason
    # Where nothing else competes, the reason does not mention it.
    web2 = ev("Errors", "web", fp="web2")
    assert "already fires" not in choose_incident(web2, _state(web2, 170), list(state.incidents.values()),
                                                  cfg, at(170)).reason
