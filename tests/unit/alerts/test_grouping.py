"""Grouping decisions: the model's joins and new incidents (with named, explained reasons), inhibition,
flapping and recurrence."""

from __future__ import annotations

import json

from bot.render import render
from engine.alerts import lifecycle
from engine.alerts.config import AlertsConfig
from engine.alerts.dedup import apply_dedup, decide_dedup
from engine.alerts.grouping import choose_incident
from engine.alerts.messages import incident_context
from engine.alerts.pipeline import PipelineState, process

from alerts_helpers import at, ev

CFG = AlertsConfig.model_validate({
    "depends_on": {"checkout": ["payments"], "payments": ["db"], "search": ["db"]},
    "inhibit": [{"name": "cluster-down", "source_match": {"alertname": "ClusterDown"},
                 "target_match": {"severity": "warning"}, "equal": ["cluster"]}],
})


def _state(e, when=0):
    return apply_dedup(None, e, decide_dedup(None, e, at(when), 300), at(when))


def _feed(events, cfg=CFG, state=None):
    state = state or PipelineState({}, {})
    decisions = {}
    for when, e in events:
        for d in process(state, [e], cfg, at(when)).decisions:
            if d.stage == "group":
                decisions[e.fingerprint] = d
    return state, decisions


def _incident_of(state, fp):
    return state.alerts[fp].incident_id


def test_downstream_symptoms_join_their_cause_by_topology_and_an_unconnected_alert_does_not():
    s, why = _feed([(0, ev("DatabaseDown", "db", fp="db", severity="critical")),
                    (60, ev("HighLatency", "payments", fp="pay", start=60)),
                    (150, ev("HighLatency", "checkout", fp="co", start=150)),
                    (170, ev("DiskFull", "billing", fp="bi", start=170))])
    assert _incident_of(s, "pay") == _incident_of(s, "co") == _incident_of(s, "db")
    assert why["pay"].name == "model" and "1 hop away in depends_on 60s ago" in why["pay"].reason
    assert ">= threshold" in why["co"].reason
    assert _incident_of(s, "bi") != _incident_of(s, "db")
    assert why["bi"].name == "new" and "< threshold" in why["bi"].reason and "topology" not in why["bi"].reason


def test_the_reason_names_the_chosen_and_the_runner_up_candidate():
    s, why = _feed([(0, ev("DatabaseDown", "db", fp="db")), (10, ev("DiskFull", "billing", fp="bi")),
                    (40, ev("HighLatency", "search", fp="se"))])
    db, bi = _incident_of(s, "db"), _incident_of(s, "bi")
    assert _incident_of(s, "se") == db
    reason = why["se"].reason
    assert reason.startswith(f"joined #{db} score") and f"runner-up #{bi} score" in reason
    assert "last onset" in reason and "s ago" in reason


def test_an_old_incident_does_not_take_a_related_alert_long_after_its_last_onset():
    s, why = _feed([(0, ev("DatabaseDown", "db", fp="db")), (3600, ev("HighLatency", "search", fp="se", start=3600))])
    assert _incident_of(s, "se") != _incident_of(s, "db") and why["se"].name == "new"


def test_a_backlog_delivered_at_once_is_grouped_by_when_its_alerts_began():
    # Opsbot was down for an hour and Alertmanager delivers everything at once: the gaps that
    # count are between startsAt, so two unrelated problems 40 minutes apart stay apart.
    s, why = _feed([(3600, ev("DatabaseDown", "db", fp="db", start=0)),
                    (3600, ev("HighLatency", "payments", fp="pay", start=60)),
                    (3600, ev("DiskFull", "billing", fp="bi", start=2400))])
    assert _incident_of(s, "pay") == _incident_of(s, "db") != _incident_of(s, "bi")
    assert why["bi"].name == "new" and "last onset 2340s ago" in why["bi"].reason
    # An alert that says it began in the future counts from now.
    s, why = _feed([(0, ev("DatabaseDown", "db", fp="db")), (600, ev("DiskFull", "billing", fp="bi", start=9000))])
    assert "last onset 600s ago" in why["bi"].reason


def test_inhibited_child_attaches_to_parent_silently():
    parent = ev("ClusterDown", "k8s", fp="p", cluster="eu", severity="critical")
    child = ev("PodPending", "other", fp="c", cluster="eu")
    s, _ = _feed([(0, parent)])
    inc = s.incidents[_incident_of(s, "p")]
    g = choose_incident(child, _state(child, 10), list(s.incidents.values()), CFG, at(10))
    assert g.name == "inhibited" and g.incident is inc and g.inhibited_by == "p"


def test_same_service_in_another_cluster_is_another_deployment():
    s, _ = _feed([(0, ev("KafkaDown", "kafka", fp="k1", cluster="prod-1")),
                  (60, ev("KafkaDown", "kafka", fp="k2", cluster="prod-2")),
                  (90, ev("KafkaLag", "kafka", fp="k3", cluster="prod-1"))], AlertsConfig())
    assert _incident_of(s, "k1") == _incident_of(s, "k3") != _incident_of(s, "k2")


def _resolve(s, fp, when, cfg=CFG):
    process(s, [ev("A", "billing", fp=fp, status="resolved", start=when - 60)], cfg, at(when))


def test_a_recurrence_after_the_incident_resolved_opens_a_linked_incident():
    s, _ = _feed([(0, ev("A", "billing", fp="a"))])
    first = s.incidents[_incident_of(s, "a")]
    _resolve(s, "a", 60)
    lifecycle.tick(first, CFG, at(60 + CFG.resolve_cooldown_s + 1))
    assert first.status.value == "resolved"
    s, why = _feed([(1000, ev("A", "billing", fp="a", start=1000))], state=s)
    second = s.incidents[_incident_of(s, "a")]
    assert second is not first and first.status.value == "resolved" and first.reopen_count == 0
    assert why["a"].name == "recurrence" and second.recurrence_of == first.id and second.recurrence_nth == 2
    _resolve(s, "a", 1100)
    lifecycle.tick(second, CFG, at(1100 + CFG.resolve_cooldown_s + 1))
    s, why = _feed([(2000, ev("A", "billing", fp="a", start=2000))], state=s)
    third = s.incidents[_incident_of(s, "a")]
    assert third.recurrence_of == second.id and "3rd time today" in why["a"].reason
    card = incident_context(third, CFG)
    assert (card["recurrence_of"], card["recurrence_nth"]) == (second.id, 3)
    assert f"recurrence of #{second.id} (3rd time today)" in json.dumps(render("alerts/incident", card))


def test_a_flapping_alert_stays_in_its_incident_and_the_card_says_flapping():
    s, _ = _feed([(0, ev("A", "billing", fp="a")), (5, ev("B", "billing", fp="b"))])
    inc = s.incidents[_incident_of(s, "a")]
    _resolve(s, "a", 100)
    s, why = _feed([(160, ev("A", "billing", fp="a", start=160))], state=s)
    assert _incident_of(s, "a") == inc.id and why["a"].name == "flapping" and "flap window" in why["a"].reason
    assert inc.flaps == 1 and incident_context(inc, CFG)["flapping"] is True


def test_a_resolve_ends_the_occurrence_with_the_same_starts_at():
    s, _ = _feed([(0, ev("A", "billing", fp="a"))])
    inc = s.incidents[_incident_of(s, "a")]
    process(s, [ev("A", "billing", fp="a", status="resolved", start=-5)], CFG, at(30))  # an older occurrence
    assert inc.firing  # a resolve of another startsAt does not end this occurrence
    process(s, [ev("A", "billing", fp="a", status="resolved", start=0)], CFG, at(40))
    assert not inc.firing and inc.resolve_due_at is not None


def test_the_join_reason_reads_as_evidence_with_ages_not_feature_codes():
    # Every feature set: an SRE reads how long ago each piece of evidence happened, in their words.
    import math
    from types import SimpleNamespace

    from engine.alerts.model import FEATURES
    from engine.alerts.model_explain import Scored, explain

    e60, e60s = math.exp(-60 / 900), math.exp(-60 / 180)
    f = (1.0, 1.0, e60, e60, e60, e60, e60, e60, 0.4, 1.0, e60s, e60, e60, e60, e60, e60, e60, 0.62, 1.0)
    assert len(f) == len(FEATURES)
    line = explain(Scored(SimpleNamespace(id=5), f, 12.0, 0.93))
    assert line.startswith("#5 score 0.93 (last onset 12s ago, 1 hop away in depends_on 60s ago"), line
    for words in ("same node/host 60s ago", "a workload and its node/host 60s ago", "a service not in depends_on 60s ago",
                  "same zone/rack 60s ago", "a zone/rack/circuit's infrastructure and what is in it 60s ago", "still spreading: a new service 60s ago", "same alert name 60s ago", "fired together in 40% of past",
                  "in another cluster", "the alert names no service, host or zone: placed by time alone",
                  "shares a label value few alerts carry (0.62)"):
        assert words in line, (words, line)
    assert "same service 0s ago" in explain(Scored(SimpleNamespace(id=5), f[:5] + (1.0,) + f[6:], 0.0, 0.9))
    for code in ("-0s", *[c for c in FEATURES if "_" in c], "cooccurrence", "unmapped", "topology", "alertname", "co-occurrence", "outside the graph", " 0.94"):
        assert code not in line, (code, line)
        assert code not in explain(Scored(SimpleNamespace(id=5), f[:5] + (1.0,) + f[6:], 0.0, 0.9))
