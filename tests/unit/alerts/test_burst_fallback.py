"""The burst fallback: used only without a dependency graph, bounded by its window and scope."""

from __future__ import annotations

from engine.alerts.config import AlertsConfig
from engine.alerts.grouping import burst_active
from engine.alerts.pipeline import PipelineState, process

from alerts_helpers import at, ev

NO_GRAPH = AlertsConfig(burst_window_s=180)
GROUPS: dict = {}


def _feed(events, cfg):
    state = PipelineState({}, {})
    for when, e in events:
        for d in process(state, [e], cfg, at(when)).decisions:
            if d.stage == "group":
                GROUPS[d.fingerprint] = d  # the last grouping decision, as `/ops why` shows it
    return state


def _inc(state, fp):
    return state.alerts[fp].incident_id


def _reason(state, fp):
    return GROUPS[fp].name, GROUPS[fp].reason


def test_alerts_of_one_burst_share_an_incident_with_a_named_reason():
    s = _feed([(0, ev("DatabaseDown", "db", fp="db", cluster="c1")),
               (60, ev("HighLatency", "checkout", fp="co", cluster="c1")),
               (200, ev("HighLatency", "web", fp="web", cluster="c1"))], NO_GRAPH)
    # web started 140 s after checkout joined: the burst grows hop by hop.
    assert _inc(s, "db") == _inc(s, "co") == _inc(s, "web")
    name, reason = _reason(s, "co")
    assert name == "burst" and "no dependency graph" in reason and "cluster=c1" in reason


def test_burst_stops_at_its_window_and_at_its_scope():
    s = _feed([(0, ev("DatabaseDown", "db", fp="db", cluster="c1")),
               (400, ev("HighLatency", "checkout", fp="late", cluster="c1")),
               (10, ev("HighLatency", "search", fp="other", cluster="c2"))], NO_GRAPH)
    assert _inc(s, "late") != _inc(s, "db")
    assert _inc(s, "other") != _inc(s, "db")


def test_a_long_incident_does_not_swallow_a_new_burst():
    # db keeps firing (re-deliveries refresh it) but started long ago: a new service is news.
    s = _feed([(0, ev("DatabaseDown", "db", fp="db", cluster="c1")),
               (500, ev("DatabaseDown", "db", fp="db", cluster="c1")),
               (600, ev("CacheDown", "cache", fp="cache", cluster="c1"))], NO_GRAPH)
    assert _inc(s, "cache") != _inc(s, "db")


def test_fallback_is_off_with_a_graph_or_a_zero_window():
    graph = AlertsConfig.model_validate({"depends_on": {"checkout": ["payments"]}})
    assert burst_active(NO_GRAPH) and not burst_active(graph) and not burst_active(AlertsConfig(burst_window_s=0))
    for cfg in (graph, AlertsConfig(burst_window_s=0)):
        s = _feed([(0, ev("DatabaseDown", "db", fp="db", cluster="c1")),
                   (30, ev("HighLatency", "search", fp="se", cluster="c1"))], cfg)
        assert _inc(s, "se") != _inc(s, "db")


def test_without_an_entity_label_the_incident_start_bounds_the_burst():
    def bare(name, fp, **labels):
        e = ev(name, "x", fp=fp, **labels)
        del e.labels["service"]
        return e
    s = _feed([(0, bare("TargetDown", "a", instance="i1", namespace="n")),
               (100, bare("JobFailed", "b", instance="i2", namespace="n")),
               (250, bare("JobFailed", "c", instance="i3", namespace="n")),
               (50, bare("JobFailed", "d", instance="i3", namespace="other"))], NO_GRAPH)
    assert _inc(s, "a") == _inc(s, "b") != _inc(s, "c")
    assert _inc(s, "d") != _inc(s, "a")


def test_app_stands_in_for_a_missing_service_and_grows_the_burst():
    def bare(name, fp, **labels):
        e = ev(name, "x", fp=fp, **labels)
        del e.labels["service"]
        return e
    # a2's onset at 100 s moves the burst's front: a3 at 250 s is 150 s after it.
    s = _feed([(0, bare("TargetDown", "a", app="a1", namespace="n")),
               (100, bare("JobFailed", "b", app="a2", namespace="n")),
               (250, bare("JobFailed", "c", app="a3", namespace="n")),
               (460, bare("JobFailed", "e", app="a4", namespace="n"))], NO_GRAPH)
    assert _inc(s, "a") == _inc(s, "b") == _inc(s, "c") != _inc(s, "e")
    assert {"onset|app=a1", "onset|app=a3"} <= set(s.incidents[_inc(s, "c")].corr_keys)
    # A scrape job is no entity by default (it spans services); configured, it becomes one.
    jobs = [(0, bare("TargetDown", "a", job="j1", namespace="n")),
            (100, bare("JobFailed", "b", job="j2", namespace="n")),
            (250, bare("JobFailed", "c", job="j3", namespace="n"))]
    s = _feed(jobs, NO_GRAPH)
    assert _inc(s, "a") == _inc(s, "b") != _inc(s, "c")
    s = _feed(jobs, AlertsConfig(burst_entity_labels=["app", "job"]))
    assert _inc(s, "a") == _inc(s, "b") == _inc(s, "c")
