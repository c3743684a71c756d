"""Pre-filling a runbook's parameters from the labels of the incident it was opened from."""

from __future__ import annotations

from engine.runbooks.prefill import common_labels, prefill
from engine.runbooks.spec import Runbook


def runbook(**extra) -> Runbook:
    doc = {"name": "restart-service", "description": "Restart a service.",
           "match": {"alertname": "HighErrorRate"},
           "parameters": {"service": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$"},
                          "env": {"type": "string", "allowed": ["staging", "production"], "default": "production"},
                          "replicas": {"type": "integer", "min": 1, "max": 10, "default": 2}},
           "steps": [{"name": "say", "type": "notify", "message": "restart ${service}"}]}
    doc["parameters"].update(extra)
    return Runbook.model_validate(doc)


def by_param(items):
    return {p.parameter: p for p in items}


def test_common_labels_keeps_only_agreed_values():
    assert common_labels([{"a": "1", "b": "2"}, {"a": "1", "b": "3"}, {"a": "1"}]) == {"a": "1"}
    assert common_labels([]) == {}


def test_parameters_take_the_labels_the_matching_alerts_share():
    labels = [{"alertname": "HighErrorRate", "service": "checkout", "env": "staging", "pod": "a"},
              {"alertname": "HighErrorRate", "service": "checkout", "env": "staging", "pod": "b"},
              # A symptom elsewhere in the same incident does not make `service` ambiguous.
              {"alertname": "LatencyHigh", "service": "frontend", "env": "staging"}]
    got = by_param(prefill(runbook(), labels))
    assert got["service"].value == "checkout" and got["env"].value == "staging"
    assert "replicas" not in got  # no such label


def test_disagreeing_alerts_leave_the_parameter_empty():
    labels = [{"alertname": "HighErrorRate", "service": "checkout"},
              {"alertname": "HighErrorRate", "service": "payments"}]
    assert "service" not in by_param(prefill(runbook(), labels))


def test_without_matching_alerts_all_alerts_count():
    labels = [{"alertname": "Other", "service": "checkout"}, {"alertname": "Else", "service": "checkout"}]
    assert by_param(prefill(runbook(), labels))["service"].value == "checkout"


def test_values_breaking_the_parameter_rules_are_skipped_with_the_reason():
    labels = [{"alertname": "HighErrorRate", "service": "Checkout_V2", "env": "prod", "replicas": "50"}]
    got = by_param(prefill(runbook(), labels))
    assert got["service"].skipped and "must match" in got["service"].skipped
    assert got["env"].skipped and "must be one of" in got["env"].skipped
    assert got["replicas"].skipped and "at most" in got["replicas"].skipped
    assert all(p.value is None for p in got.values())


def test_from_label_maps_a_differently_named_label_and_coerces_the_type():
    rb = runbook(replicas={"type": "integer", "from_label": "desired_replicas", "min": 1, "max": 10})
    got = by_param(prefill(rb, [{"alertname": "HighErrorRate", "desired_replicas": "4"}]))
    assert got["replicas"].value == 4 and got["replicas"].label == "desired_replicas"


def test_match_reuses_the_runbook_rule_including_regular_expressions():
    rb = runbook().model_copy(update={"match": {"alertname": "~High.*"}})
    assert rb.matches({"alertname": "HighLatency"}) and not rb.matches({"alertname": "Low"})
    assert not runbook().model_copy(update={"match": {}}).matches({"alertname": "HighErrorRate"})
