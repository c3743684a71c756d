"""Incident lifecycle transitions and the notify stage's decisions."""

from __future__ import annotations

import pytest

from engine.alerts import lifecycle
from engine.alerts.card import stored_facts
from engine.alerts.config import AlertsConfig
from engine.alerts.lifecycle import Change
from engine.alerts.messages import incident_context
from engine.alerts.notify import decide_notice, next_due
from engine.alerts.pipeline import PipelineState, process
from engine.errors import Conflict, InvalidInput

from alerts_helpers import at, ev
from tests.changes import decision_said, said

CFG = AlertsConfig(routes=[{"match": {"severity": "critical"}, "channel": "#sev1"}])


def _open(*events):
    s = PipelineState({}, {})
    out = process(s, list(events), CFG, at(0))
    (inc,) = s.incidents.values()
    return s, inc, out


def test_routing_and_first_post():
    _, inc, out = _open(ev("DatabaseDown", "db", severity="critical"))
    assert inc.channel == "#sev1"
    d = decide_notice(inc, out.changes[inc.id], at(0), CFG)
    assert (d.message, d.thread, d.name) == ("post", False, "new_incident")
    _, inc2, _ = _open(ev("Disk", "db"))
    assert inc2.channel == CFG.default_channel


def test_minor_vs_meaningful_vs_silent():
    s, inc, _ = _open(ev("A", "billing", fp="a", instance="1"))
    inc.posted = True
    out = process(s, [ev("A", "billing", fp="b", instance="2")], CFG, at(10))
    d = decide_notice(inc, out.changes[inc.id], at(10), CFG)
    assert (d.message, d.thread, d.name) == ("edit", False, "minor_change")
    out = process(s, [ev("A", "billing", fp="c", severity="critical")], CFG, at(20))
    d = decide_notice(inc, out.changes[inc.id], at(20), CFG)
    assert d.thread and "severity raised from warning to critical" in decision_said(
        {"reason": d.reason, "facts": stored_facts(d.facts)})
    out = process(s, [ev("A", "billing", fp="a", instance="1")], CFG, at(30))
    assert inc.id not in out.changes  # a repeat delivery touches nothing
    d = decide_notice(inc, [Change("flap", alertname="A", count=1)], at(30), CFG)  # the firing count moved: re-render
    assert (d.message, d.thread, d.name) == ("edit", False, "minor_change")
    assert decide_notice(inc, [], at(30), CFG).message == "none"


def test_a_resolved_incident_is_neither_snoozed_nor_due():
    s, inc, _ = _open(ev("A", "billing", fp="a"))
    inc.posted = True
    inc.snoozed_until = at(3600)
    process(s, [ev("A", "billing", fp="a", status="resolved")], CFG, at(60))
    lifecycle.tick(inc, CFG, at(60 + CFG.resolve_cooldown_s))
    assert not inc.is_open and next_due(inc, CFG) is None
    assert incident_context(inc, CFG)["snoozed_until"] is None


def test_cooldown_resolve_and_cancel():
    s, inc, _ = _open(ev("A", "billing", fp="a"))
    process(s, [ev("A", "billing", fp="a", status="resolved")], CFG, at(60))
    assert inc.resolve_due_at == at(60 + CFG.resolve_cooldown_s)
    assert lifecycle.tick(inc, CFG, at(100)) == [] and inc.is_open
    process(s, [ev("A", "billing", fp="a", start=120)], CFG, at(120))  # flap cancels
    assert inc.resolve_due_at is None and inc.is_open and inc.flaps == 1
    process(s, [ev("A", "billing", fp="a", start=120, status="resolved")], CFG, at(200))
    changes = lifecycle.tick(inc, CFG, at(200 + CFG.resolve_cooldown_s))
    assert [c.kind for c in changes] == ["resolved"] and inc.resolved_at == at(200 + CFG.resolve_cooldown_s)


def test_ack_resolve_snooze_rules():
    _, inc, _ = _open(ev())
    lifecycle.acknowledge(inc, "ann", at(5))
    with pytest.raises(Conflict):
        lifecycle.acknowledge(inc, "bob", at(6))
    with pytest.raises(InvalidInput):
        lifecycle.snooze(inc, 60, "ann", at(7), CFG)
    lifecycle.snooze(inc, 900, "ann", at(7), CFG)
    inc.posted = True
    d = decide_notice(inc, [Change("joined", alertname="B"), Change("new_alertname", alertname="B")], at(8), CFG)
    assert (d.message, d.thread, d.name) == ("edit", False, "snoozed")
    assert d.next_due_at == at(907)
    lifecycle.resolve(inc, "ann", at(9))
    with pytest.raises(Conflict):
        lifecycle.resolve(inc, "ann", at(10))


def test_reminder_for_unacknowledged_incident():
    _, inc, _ = _open(ev())
    inc.posted, inc.last_notified_at = True, at(0)
    assert lifecycle.tick(inc, CFG, at(10)) == []
    kinds = [c.kind for c in lifecycle.tick(inc, CFG, at(CFG.repeat_interval_s + 1))]
    assert kinds == ["reminder"]


def _buttons_and_notes(inc, cfg):
    from bot.render import render
    from engine.alerts.messages import incident_context

    blocks = render("alerts/incident", incident_context(inc, cfg))["blocks"]
    buttons = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    notes = " ".join(e["text"] for b in blocks if b["type"] == "context" for e in b["elements"])
    return buttons, notes


def test_silence_is_offered_only_for_incidents_with_alertmanager_alerts():
    from dataclasses import replace

    cfg = AlertsConfig(alertmanager_url="http://127.0.0.1:9093")
    state = PipelineState({}, {})
    detector = replace(ev("MetricAnomaly", "checkout", fp="det"), source="anomaly")
    process(state, [detector], cfg, at(0))
    (inc,) = state.incidents.values()
    assert inc.sources == ["anomaly"]
    buttons, notes = _buttons_and_notes(inc, cfg)
    assert "alerts.silence" not in buttons and "alerts.ack" in buttons and "Silence" not in notes
    process(state, [ev("HighLatency", "checkout", fp="am")], cfg, at(10))  # Alertmanager's, same service
    assert inc.sources == ["anomaly", "alertmanager"]
    assert "alerts.silence" in _buttons_and_notes(inc, cfg)[0]
    inc.sources = []  # a row an older release wrote: unknown, so the button stays as it was
    assert "alerts.silence" in _buttons_and_notes(inc, cfg)[0]
    # Without an Alertmanager configured, an Alertmanager incident says how to get the button.
    buttons, notes = _buttons_and_notes(inc, AlertsConfig())
    assert "alerts.silence" not in buttons and "not configured" in notes


def test_notice_reason_counts_repeated_changes_once():
    from engine.alerts.notify import summarize

    def reason(changes: list[Change]) -> str:
        return decision_said({"reason": "meaningful change", "facts": stored_facts(summarize(changes))})

    joined = [Change("joined", alertname="HighLatency")] * 3 + [Change("joined", alertname="Errors")]
    assert reason(joined) == "meaningful change: HighLatency joined ×3; Errors joined"
    many = [Change("joined", alertname=f"A{i}") for i in range(5)]
    assert reason(many) == "meaningful change: A0 joined; A1 joined; A2 joined; 2 more"


def test_silence_button_and_card_say_what_alertmanager_covers():
    import json
    from pathlib import Path

    from bot.render import render

    fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "templates" / "alerts"
    offered = json.dumps(render("alerts/incident", json.loads((fixtures / "incident.mixed_sources.json").read_text())))
    assert "one per alert name (DatabaseDown, BackupJobFailed)" in offered
    assert "Alerts from backup-jobs are not silenced" in offered
    done = json.dumps(render("alerts/incident", json.loads(
        (fixtures / "incident.mixed_sources_silenced.json").read_text())))
    assert "silenced in Alertmanager (its alerts only; not those from backup-jobs)" in done


def test_incident_detail_folds_alerts_and_repeated_decisions():
    from engine.alerts.messages import alert_groups, timeline

    alerts = [{"alertname": "HighErrorRate", "status": "firing", "labels": {"service": f"svc-{i % 3}"}}
              for i in range(30)] + [{"alertname": "Disk", "status": "resolved", "labels": {}}]
    groups = alert_groups(alerts)
    assert [(g["alertname"], g["total"], g["firing"], g["services"]) for g in groups] == [
        ("HighErrorRate", 30, 30, ["svc-0", "svc-1", "svc-2"]), ("Disk", 1, 0, [])]
    joined = [{"at": "t", "reason": "HighErrorRate joined", "actor": None}] * 4  # rows stored before facts
    noted = [{"at": "t", "reason": "note", "facts": stored_facts(Change("note", who="ann", text=t).facts()),
              "actor": None} for t in ("a", "a", "b")]
    assert [(decision_said(t), t["count"]) for t in timeline(joined + [{"at": "t", "reason": "new", "actor": None}]
                                                            + noted)] == [
        ("HighErrorRate joined", 4), ("new", 1), ("note by ann: a", 2), ("note by ann: b", 1)]


def test_a_thread_reply_says_each_change_once_with_a_count():
    from engine.alerts.messages import fold_changes

    folded = fold_changes([Change("joined", alertname="HighErrorRate")] * 4 + [Change("service_joined", service="svc-2")]
                          + [Change("joined", alertname="Disk")])
    assert [(said(c.change.model_dump()), c.count) for c in folded] == [
        ("HighErrorRate joined", 4), ("service svc-2 is affected too", 1), ("Disk joined", 1)]
