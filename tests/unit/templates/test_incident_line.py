"""`/ops incidents` and `/ops incident N` say what the incident card says about a snooze."""

from __future__ import annotations

import json
from pathlib import Path

from bot.render import render

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "templates" / "alerts" / "incidents.json"


def _text(message: dict) -> str:
    return json.dumps(message["blocks"])


def test_a_snoozed_incident_reads_snoozed_in_the_list_and_the_detail_as_on_its_card():
    ctx = json.loads(FIXTURE.read_text())
    inc = {**ctx["incidents"][0], "status": "acknowledged", "snoozed_until": "2026-11-27T13:00:00+00:00"}
    card = _text(render("alerts/incident", inc))
    listing = _text(render("alerts/incidents", {**ctx, "incidents": [inc]}))
    detail = _text(render("alerts/incident_detail", {"incident": inc, "groups": [], "timeline": []}))
    token = "<!date^1795784400^{time}"
    assert "snoozed until" in card and token in card
    assert "snoozed until" in listing and token in listing, listing
    assert "snoozed until" in detail and token in detail, detail
    quiet = _text(render("alerts/incidents", ctx))
    assert "snoozed" not in quiet


def test_the_incident_timeline_shows_reasons_not_pipeline_codes():
    from engine.alerts.messages import timeline

    ctx = json.loads((FIXTURE.parent / "incident_detail.json").read_text())
    decisions = [{"at": "2026-11-27T12:00:00+00:00", "stage": "group", "name": "downstream",
                  "reason": "checkout depends on db", "actor": None}]
    text = _text(render("alerts/incident_detail", {**ctx, "timeline": timeline(decisions)}))
    for d in decisions:
        assert f"{d['stage']}/{d['name']}" not in text and d["reason"].split()[0] in text, text


def test_the_incident_timeline_says_each_event_once():
    from engine.alerts.messages import timeline

    decisions = [  # newest first, as the store returns them
        {"at": "t3", "stage": "notify", "name": "minor_change", "reason": "message edited in place: HighErrorRate joined"},
        {"at": "t3", "stage": "group", "name": "downstream", "reason": "web depends on svc, already in incident #5"},
        {"at": "t2", "stage": "notify", "name": "meaningful_change", "reason": "meaningful change: silenced"},
        {"at": "t2", "stage": "silence", "name": "silenced", "reason": "silenced in Alertmanager by carol"},
    ]
    assert [t["reason"] for t in timeline(decisions)] == [
        "web depends on svc, already in incident #5", "silenced in Alertmanager by carol"]


def test_a_merged_incident_reads_merged_in_the_list_and_the_detail_as_on_its_card():
    ctx = json.loads((FIXTURE.parent / "incidents.merged.json").read_text())
    inc = ctx["incidents"][1]
    card = _text(render("alerts/incident", inc))
    listing = _text(render("alerts/incidents", ctx))
    detail = _text(render("alerts/incident_detail", {"incident": inc, "groups": [], "timeline": []}))
    for text in (card, listing, detail):
        assert "Merged into #42" in text, text
    assert "Resolved" not in listing.split("#41")[1] and "0/0 firing" not in listing, listing
    assert "Resolved" not in detail and "0/0 firing" not in detail and "moved to incident #42" in detail, detail
