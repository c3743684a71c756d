"""The incident card's facts (what the alert says, links, owner), the one page, and Take / Reopen / Add note."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from engine.alerts import lifecycle
from engine.alerts.config import AlertsConfig
from engine.alerts.messages import PAGE_TEMPLATE, build_notices, incident_context
from engine.alerts.notify import decide_notice
from engine.alerts.pipeline import PipelineState, process
from engine.alerts.types import IncidentStatus
from engine.errors import Conflict, InvalidInput

from alerts_helpers import at, ev
from tests.changes import said

CFG = AlertsConfig.model_validate({
    "owners": [{"match": {"service": "db", "team": "dba"}, "team": "dba", "usergroup": "S0DBA"},
               {"match": {"service": "db"}, "team": "platform", "usergroup": "S0PLATFORM"},
               {"match": {"service": "search"}, "team": "search"}],  # no group: owned, never paged
    "dashboards": {"db": "https://grafana.example.com/d/db"},
    "page_min_severity": "error"})


def _event(name="DatabaseDown", service="db", severity="critical", annotations=None, url="", **labels):
    e = ev(name, service, severity=severity, **labels)
    e.annotations = annotations or {}
    e.generator_url = url
    return e


def _open(*events, cfg=CFG):
    s = PipelineState({}, {})
    out = process(s, list(events), cfg, at(0))
    (inc,) = s.incidents.values()
    return s, inc, out


def test_owner_is_the_first_matching_rule():
    assert CFG.owner_of({"service": "db", "team": "dba"}).team == "dba"
    assert CFG.owner_of({"service": "db"}).team == "platform"
    assert CFG.owner_of({"service": "web"}) is None
    assert AlertsConfig().owner_of({"service": "db"}) is None


def test_card_shows_the_first_alerts_words_value_and_links():
    first = _event(annotations={"summary": "Primary down", "description": "No connections for 5m",
                                "value": "0", "runbook_url": "https://wiki/db", "dashboard_url": "javascript:alert(1)"},
                   url="http://prom:9090/graph?g0.expr=up")
    second = _event("HighLatency", "db", "warning", fp="lat", annotations={"summary": "Slow"})
    _, inc, _ = _open(first, second)
    ctx = incident_context(inc, CFG)
    assert ctx["lead"] == {"alertname": "DatabaseDown", "summary": [{"text": "Primary down"}],
                           "description": [{"text": "No connections for 5m"}], "value": "0"}
    assert ctx["more_alerts"] == 1
    # The javascript: annotation is dropped; the service's configured dashboard takes its place.
    assert [(x["kind"], x["url"]) for x in ctx["links"]] == [
        ("source", "http://prom:9090/graph?g0.expr=up"), ("runbook", "https://wiki/db"),
        ("dashboard", "https://grafana.example.com/d/db")]
    assert ctx["owner"] == {"team": "platform", "usergroup": "S0PLATFORM", "oncall": None}


def test_grafana_value_annotation_and_lead_refreshes_only_from_its_own_alert():
    s, inc, _ = _open(_event(annotations={"__value_string__": "[ var='A' value=0.2 ]"}))
    assert inc.lead["value"] == "[ var='A' value=0.2 ]"
    process(s, [_event("Other", "db", fp="other", annotations={"summary": "not the lead"})], CFG, at(5))
    assert inc.lead["alertname"] == "DatabaseDown" and inc.lead["summary"] == ""


def _notices(inc, out, now=0):
    d = decide_notice(inc, out.changes[inc.id], at(now), CFG)
    return build_notices(inc, d, out.changes[inc.id], [], CFG, at(now))


def test_owner_group_is_paged_once_when_the_incident_opens_at_or_above_the_severity():
    s, inc, out = _open(_event())
    first = _notices(inc, out)
    pages = [n for n in first if n.template == PAGE_TEMPLATE]
    assert len(pages) == 1 and pages[0].context["usergroup"] == "S0PLATFORM"
    assert pages[0].thread_key == f"incident:{inc.id}" and pages[0].key == f"incident:{inc.id}:page"
    # Every later change re-renders the card; none pages again, and the card never carries a mention.
    for n, when in enumerate([10, 20, 30]):
        out = process(s, [_event("More", "db", fp=f"more{n}")], CFG, at(when))
        later = _notices(inc, out, when)
        assert later and not [x for x in later if x.template == PAGE_TEMPLATE]
    changes = lifecycle.resolve(inc, "alice", at(40))
    d = decide_notice(inc, changes, at(40), CFG)
    assert not [x for x in build_notices(inc, d, changes, [], CFG, at(40)) if x.template == PAGE_TEMPLATE]


@pytest.mark.parametrize("severity, service, pages", [
    ("warning", "db", False),  # below page_min_severity
    ("error", "db", True),
    ("critical", "search", False),  # the owner has no user group
    ("critical", "web", False),  # nobody owns it
])
def test_page_needs_an_owner_group_and_the_severity(severity, service, pages):
    _, inc, out = _open(_event(service=service, severity=severity))
    assert any(n.template == PAGE_TEMPLATE for n in _notices(inc, out)) is pages


def test_take_reopen_and_note():
    _, inc, _ = _open(_event())
    changes = lifecycle.take(inc, "U0ALICE", "alice", at(1))
    assert inc.commander == "U0ALICE" and inc.status is IncidentStatus.ACKNOWLEDGED and inc.acked_by == "alice"
    assert changes[0].meaningful and said(changes[0]) == "alice is incident commander"
    with pytest.raises(Conflict):
        lifecycle.take(inc, "U0ALICE", "alice", at(2))
    changes = lifecycle.take(inc, "U0BOB", "bob", at(3))
    assert inc.commander_name == "bob" and said(changes[0]) == "bob is incident commander (was alice)"

    with pytest.raises(Conflict):
        lifecycle.reopen(inc, "bob", at(4), CFG)  # not resolved yet
    lifecycle.resolve(inc, "bob", at(10))
    with pytest.raises(Conflict):
        lifecycle.take(inc, "U0CAROL", "carol", at(11))
    changes = lifecycle.reopen(inc, "carol", at(10 + CFG.reopen_window_s), CFG)  # the window's last second
    assert inc.status is IncidentStatus.OPEN and inc.resolved_at is None and inc.reopen_count == 1
    assert changes[0].kind == "reopened" and inc.commander == "U0BOB"  # the commander stays
    lifecycle.resolve(inc, "carol", at(100))
    with pytest.raises(Conflict) as err:
        lifecycle.reopen(inc, "carol", at(100) + timedelta(seconds=CFG.reopen_window_s + 1), CFG)
    assert "new incident" in err.value.hint

    (note,) = lifecycle.add_note(inc, "  rolled back\n the  deploy ", "dave")
    assert note.text == "rolled back the deploy" and note.meaningful
    assert said(note) == "note by dave: rolled back the deploy"
    with pytest.raises(InvalidInput):
        lifecycle.add_note(inc, " \n ", "dave")
    with pytest.raises(InvalidInput):
        lifecycle.add_note(inc, "x" * (lifecycle.NOTE_CHARS + 1), "dave")


def test_people_actions_reach_the_thread_even_when_snoozed():
    _, inc, _ = _open(_event())
    inc.posted = True
    lifecycle.snooze(inc, 900, "bob", at(1), CFG)
    for changes in (lifecycle.add_note(inc, "looking", "bob"), lifecycle.take(inc, "U0BOB", "bob", at(2))):
        d = decide_notice(inc, changes, at(3), CFG)
        assert (d.message, d.thread) == ("edit", True)


@pytest.mark.parametrize("data, words", [
    ({"page_min_severity": "sev1"}, "page_min_severity"),
    ({"dashboards": {"db": "ftp://x"}}, "http(s) URL"),
    ({"owners": [{"team": "a", "usergroup": "@platform"}]}, "usergroup"),
    ({"owners": [{"team": "a", "channel": "#x"}]}, "channel"),
])
def test_bad_owner_and_card_settings_fail_validation(data, words):
    with pytest.raises(ValidationError) as err:
        AlertsConfig.model_validate(data)
    assert words in str(err.value)


def test_times_in_the_alerts_words_become_date_parts():
    from engine.alerts.lead import with_times

    assert with_times("p95 above 2s since 2026-12-06T20:17:35Z on web-1") == [
        {"text": "p95 above 2s since "}, {"time": "2026-12-06T20:17:35+00:00"}, {"text": " on web-1"}]
    assert with_times("2026-13-45T99:99 is no time") == [{"text": "2026-13-45T99:99 is no time"}]
    assert with_times("") == []


def test_a_value_the_summary_already_states_is_said_once():
    s, inc, _ = _open(_event(annotations={"summary": "latency: value 343.7 outside the expected 132.6..293.2",
                                          "value": "343.7"}))
    assert inc.lead["value"] is None
    # A different number, or the value inside a longer one, is not the same statement.
    s, inc, _ = _open(_event(annotations={"summary": "latency above 1343.75 ms", "value": "343.7"}))
    assert inc.lead["value"] == "343.7"
