"""The grouping model: its features, learned co-occurrence, and the fit that produced its weights."""

from __future__ import annotations

import math

import pytest

from engine.alerts import model_weights
from engine.alerts.config import AlertsConfig
from engine.alerts.cooccurrence import CoOccurrence
from engine.alerts.model import FEATURES, GroupingModel, group_key
from engine.alerts.pipeline import PipelineState, process

from alerts_helpers import at, ev

CFG = AlertsConfig.model_validate({"depends_on": {"web": ["api"], "api": ["db"], "batch": ["db"]}})


def _incident(events, cfg=CFG):
    state = PipelineState({}, {})
    for when, e in events:
        process(state, [e], cfg, at(when))
    return state, next(iter(state.incidents.values()))


def test_features_read_recency_topology_and_labels_of_the_incident():
    _, inc = _incident([(0, ev("DatabaseDown", "db", fp="db", namespace="data", cluster="c1"))])
    m = GroupingModel(CFG)
    f = dict(zip(FEATURES, m.features(CFG, ev("HighLatency", "web", namespace="data", cluster="c1").labels,
                                      inc, at(60).timestamp())[1]))
    assert f["topology_2h"] == pytest.approx(0.9355, abs=1e-3)  # two hops up, a minute later
    assert f["topology_1h"] == f["topology_3h"] == 0
    assert f["namespace"] > 0.9 and f["service"] == 0 and f["other_cluster"] == 0 and f["bias"] == 1
    assert f["onset_2m"] == pytest.approx(0.6065, abs=1e-3)
    other_cluster = dict(zip(FEATURES, m.features(CFG, ev("HighLatency", "api", cluster="c2").labels,
                                                  inc, at(60).timestamp())[1]))
    assert other_cluster["topology_1h"] == 0 and other_cluster["other_cluster"] == 1  # another deployment
    no_graph = GroupingModel(AlertsConfig())
    bare = dict(zip(FEATURES, no_graph.features(AlertsConfig(), {"alertname": "X"}, inc, at(60).timestamp())[1]))
    # Labels the alert lacks are unknown, not equal: no cluster, service or namespace evidence either way.
    assert bare["topology_1h"] == bare["service"] == bare["namespace"] == bare["other_cluster"] == 0
    assert no_graph.weights == model_weights.WITHOUT_GRAPH and m.weights == model_weights.WITH_GRAPH


def test_cooccurrence_learns_together_and_apart():
    c = CoOccurrence()
    assert c.score("A|x", {"B|y"}) == 0.0
    c.observe(["A|x", "B|y"], ["A|x", "B|y"], together=True)
    c.observe(["A|x", "B|y"], ["A|x", "B|y"], together=True)
    assert c.score("A|x", {"B|y", "C|z"}) == pytest.approx(2 / 3) and c.score("B|y", {"A|x"}) == pytest.approx(2 / 3)
    c.observe(["A|x"], ["B|y"], together=False, weight=2.0)  # a person split them apart
    assert c.score("A|x", {"B|y"}) == pytest.approx(2 / 5)
    assert c.score("A|x", {"C|z"}) == 0.0


def test_a_closed_incident_teaches_the_model_its_keys_go_together():
    state = PipelineState({}, {}, model=GroupingModel(CFG))
    for when, e in [(0, ev("DatabaseDown", "db", fp="db")), (30, ev("HighLatency", "api", fp="api"))]:
        process(state, [e], CFG, at(when))
    for when, e in [(100, ev("DatabaseDown", "db", fp="db", status="resolved")),
                    (100, ev("HighLatency", "api", fp="api", status="resolved", start=30))]:
        process(state, [e], CFG, at(when))
    from engine.alerts.pipeline import tick
    tick(state, CFG, at(100 + CFG.resolve_cooldown_s + 1))
    assert state.model is not None
    a, b = group_key(CFG, {"alertname": "DatabaseDown", "service": "db"}), "HighLatency|api"
    assert state.model.cooc.score(a, {b}) == pytest.approx(0.5)


def test_the_fit_reproduces_the_shipped_weights():
    from engine.lab.alerts.family_fit import fit

    got = fit()
    assert got["threshold_with_graph"] == model_weights.THRESHOLD_WITH_GRAPH
    assert got["threshold_without_graph"] == model_weights.THRESHOLD_WITHOUT_GRAPH
    for name, shipped in (("with_graph", model_weights.WITH_GRAPH), ("without_graph", model_weights.WITHOUT_GRAPH)):
        assert got[name] == pytest.approx(shipped, abs=0.05), name


def test_pruning_by_the_score_bound_changes_no_decision():
    from engine.lab.alerts.family_train import train_storm
    from engine.lab.alerts.family_eval import config_for, replay
    from engine.lab.alerts.family_wire import deliveries

    for style, graph in (("crowded", True), ("hub", False)):
        storm = train_storm(style, 0)
        cfg = config_for(storm, graph)
        pruned = replay(storm, deliveries(storm), cfg, GroupingModel(cfg, CoOccurrence()))
        full_model = GroupingModel(cfg, CoOccurrence())
        full_model.trace = []  # the fit's mode: every open candidate scored
        full = replay(storm, deliveries(storm), cfg, full_model)
        assert len(pruned.pred) > 20 and pruned.pred == full.pred, style


def test_the_runner_up_that_cannot_reach_the_threshold_is_named_with_its_bound():
    s = PipelineState({}, {}, model=GroupingModel(CFG))
    process(s, [ev("DiskFull", "billing", fp="bi")], CFG, at(0))
    out = process(s, [ev("DatabaseDown", "db", fp="db", start=3600)], CFG, at(3600))
    reason = next(d.reason for d in out.decisions if d.stage == "group")
    assert reason.startswith("new incident; best #") and "score <=" in reason and "cannot reach" in reason


def test_spread_says_whether_the_incident_still_reaches_new_services():
    cfg = AlertsConfig()
    m = GroupingModel(cfg)
    state, inc = _incident([(0, ev("DatabaseDown", "db", fp="db")), (60, ev("HighLatency", "api", fp="api", start=60))], cfg)
    spread = FEATURES.index("spread")
    fresh = m.features(cfg, ev("HighLatency", "web").labels, inc, at(90).timestamp())[1][spread]
    assert fresh == pytest.approx(math.exp(-30 / 180), abs=1e-6)  # api first fired 30 s ago
    # The same services firing again refresh the incident's last onset, not its spread.
    process(state, [ev("HighLatency", "api", fp="api", status="resolved", start=60)], cfg, at(400))
    process(state, [ev("HighLatency", "api", fp="api", start=600)], cfg, at(600))
    gap, f = m.features(cfg, ev("HighLatency", "web").labels, inc, at(630).timestamp())
    assert gap == pytest.approx(30) and f[spread] == pytest.approx(math.exp(-570 / 180), abs=1e-6)



def test_the_first_alert_says_there_was_no_open_incident_to_join():
    s = PipelineState({}, {}, model=GroupingModel(CFG))
    out = process(s, [ev("DiskFull", "billing", fp="bi")], CFG, at(0))
    assert next(d.reason for d in out.decisions if d.stage == "group") == "new incident; no open incident to join"


def test_a_datacenter_scopes_services_when_there_is_no_cluster_label():
    # The same service names run in every datacenter: the same service in another one is another failure.
    _, inc = _incident([(0, ev("DatabaseDown", "db", fp="db", datacenter="fra1"))])
    m = GroupingModel(CFG)
    same = dict(zip(FEATURES, m.features(CFG, ev("HighLatency", "api", datacenter="fra1").labels, inc,
                                         at(60).timestamp())[1]))
    other = dict(zip(FEATURES, m.features(CFG, ev("HighLatency", "api", datacenter="ams2").labels, inc,
                                          at(60).timestamp())[1]))
    assert same["topology_1h"] > 0.9 and same["other_cluster"] == 0
    assert other["topology_1h"] == 0 and other["other_cluster"] == 1
    # A cluster label, when present, is the scope (a cluster's datacenter is not another deployment).
    _, inc = _incident([(0, ev("DatabaseDown", "db", fp="db2", cluster="c1", datacenter="fra1"))])
    f = dict(zip(FEATURES, m.features(CFG, ev("HighLatency", "api", cluster="c1", datacenter="ams2").labels, inc,
                                      at(60).timestamp())[1]))
    assert f["topology_1h"] > 0.9 and f["other_cluster"] == 0


def test_an_alert_that_names_nothing_is_placed_by_time_alone():
    # No service (nor entity_labels), node/host or zone: only when it began can place it. Before the
    # anonymous feature such alerts never joined anything (every one its own incident).
    cfg = AlertsConfig()
    anon = {"alertname": "PipelineTaskFailed", "dag_id": "daily_revenue", "job": "airflow"}
    state = PipelineState({}, {}, model=GroupingModel(cfg))
    first = ev("PipelineTaskFailed", fp="a", dag_id="daily_revenue", job="airflow")
    del first.labels["service"]
    process(state, [first], cfg, at(0))
    inc = next(iter(state.incidents.values()))
    m = GroupingModel(cfg)
    f = dict(zip(FEATURES, m.features(cfg, dict(anon, alertname="PipelineSLAMissed"), inc, at(30).timestamp())[1]))
    assert f["anonymous"] == pytest.approx(f["onset_15m"]) and f["anonymous"] > 0.9
    assert m.score(tuple(f.values())) >= m.threshold  # seconds apart: joined
    late = dict(zip(FEATURES, m.features(cfg, anon, inc, at(1800).timestamp())[1]))
    assert m.score(tuple(late.values())) < m.threshold  # half an hour later: not by time alone
    named = dict(zip(FEATURES, m.features(cfg, {"alertname": "X", "service": "api"}, inc, at(30).timestamp())[1]))
    hosted = dict(zip(FEATURES, m.features(cfg, {"alertname": "X", "instance": "db-1:9187"}, inc, at(30).timestamp())[1]))
    assert named["anonymous"] == hosted["anonymous"] == 0  # it names something the model reads
    assert model_weights.WITH_GRAPH[FEATURES.index("anonymous")] > 0 < model_weights.WITHOUT_GRAPH[FEATURES.index("anonymous")]


def test_an_alert_with_no_entity_is_placed_by_its_rarer_label_values_learned_from_the_stream():
    # No service: what it shares with the incident counts by how few alerts carry it. `env` and `job`
    # are on every alert (little), `dag_id` on a few (much).
    from engine.alerts.model_labels import LabelStats

    cfg = AlertsConfig()
    m = GroupingModel(cfg)
    for dag in ("a", "b", "c", "d"):
        for name in ("PipelineTaskFailed", "PipelineSLAMissed"):
            m.observe(cfg, {"alertname": name, "dag_id": dag, "env": "prod", "job": "airflow"})
    stats = m.labels
    assert stats.weight("dag_id=a") > 0.6 > 0.35 > stats.weight("env=prod")
    first = ev("PipelineTaskFailed", fp="a", dag_id="a", env="prod", job="airflow")
    del first.labels["service"]
    _, inc = _incident([(0, first)], cfg)
    same = dict(zip(FEATURES, m.features(cfg, {"alertname": "PipelineSLAMissed", "dag_id": "a", "env": "prod",
                                               "job": "airflow"}, inc, at(300).timestamp())[1]))
    other = dict(zip(FEATURES, m.features(cfg, {"alertname": "PipelineSLAMissed", "dag_id": "b", "env": "prod",
                                                "job": "airflow"}, inc, at(300).timestamp())[1]))
    assert same["label_match"] == pytest.approx(stats.weight("dag_id=a") * math.exp(-300 / 900))
    assert other["label_match"] == pytest.approx(stats.weight("job=airflow") * math.exp(-300 / 900))
    assert m.score(tuple(same.values())) > m.score(tuple(other.values()))
    named = dict(zip(FEATURES, m.features(cfg, {"alertname": "X", "service": "api", "dag_id": "a"}, inc,
                                          at(300).timestamp())[1]))
    assert named["label_match"] == 0  # an alert with an entity is read as before
    # An instance on which one alert name fired for three label sets is a shared exporter, not a machine.
    s = LabelStats()
    for dag in ("a", "b"):
        s.observe({"alertname": "PipelineTaskFailed", "instance": "statsd:9102", "dag_id": dag}, ())
    assert not s.is_shared({"alertname": "X", "instance": "statsd:9102"})
    s.observe({"alertname": "PipelineTaskFailed", "instance": "statsd:9102", "dag_id": "c"}, ())
    assert s.is_shared({"alertname": "X", "instance": "statsd:9102"})
    assert not s.is_shared({"alertname": "X", "instance": "statsd:9102", "node": "n1"})  # a node label: its machine
