"""Entity labels learned from the stream (model_entities): which label names what is alerting."""

from __future__ import annotations

from engine.alerts.config import AlertsConfig
from engine.alerts.model import GroupingModel
from engine.alerts.model_entities import EntityStats, NEVER

SKIP = NEVER | {"severity"}


def _apm(name: str, comp: str, team: str, op: str) -> dict[str, str]:
    return {"alertname": name, "component": comp, "team": team, "operation": op, "severity": "warning",
            "instance": "apm-exporter:9090"}


def test_a_label_whose_values_several_alert_names_carry_is_an_entity_label_and_a_team_is_not():
    s = EntityStats()
    # Two teams own five components; each is slow on two endpoints and erroring on one.
    for comp, team in (("web", "growth"), ("api", "growth"), ("auth", "core"), ("billing", "core"), ("search", "core")):
        for name, op in (("HighLatency", "GET"), ("HighLatency", "POST"), ("ErrorRate", "GET")):
            s.observe(_apm(name, comp, team, f"{op} /{comp}"), SKIP)
    assert s.is_entity_label("component")
    assert not s.is_entity_label("team")  # many components' alerts carry one team
    # An endpoint is specific too, but fewer of its values carry two alert names than the component's.
    assert s.infer(_apm("HighLatency", "checkout", "growth", "GET /checkout"), SKIP, {}) == ("component", "checkout")
    # The exporter's instance and the severity are never an entity.
    assert not s.is_entity_label("instance") and not s.is_entity_label("severity")


def test_a_label_naming_two_services_of_the_graph_is_an_entity_label_at_once():
    s = EntityStats()
    graph = {"orders": (), "billing": ()}
    first = {"alertname": "TaskFailed", "pipeline": "orders", "stage": "load"}
    assert s.infer(first, SKIP, graph) == ("", "")  # one value in the graph could be a coincidence of names
    assert s.infer(dict(first, pipeline="billing"), SKIP, graph) == ("pipeline", "billing")
    assert s.infer(dict(first, pipeline="not-in-graph"), SKIP, graph) == ("pipeline", "not-in-graph")


def test_the_model_reads_a_configured_entity_first_and_infers_one_only_without_it():
    m = GroupingModel(AlertsConfig())
    cfg = AlertsConfig()
    for comp in ("web", "api"):
        for name in ("HighLatency", "ErrorRate"):
            m.place(cfg, _apm(name, comp, "core", "GET /"))
    assert m.place(cfg, _apm("HighLatency", "web", "core", "GET /"))[0] == "web"
    assert m.place(cfg, dict(_apm("HighLatency", "web", "core", "GET /"), service="frontend"))[0] == "frontend"
