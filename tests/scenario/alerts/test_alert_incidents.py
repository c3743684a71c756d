"""Through the local workspace: Alertmanager bodies become one living incident message with working buttons."""

from __future__ import annotations

import aiohttp

from engine.adapters.alertmanager import AlertmanagerClient
from tests.scenario.alerts.conftest import CAPTURE, button_ids, incident_messages, post_webhook

FIRING, RESOLVED = CAPTURE.read_text().splitlines()


async def _posted(stack):
    await stack.workspace.wait_for(lambda: incident_messages(stack), timeout=10)
    (msg,) = incident_messages(stack)
    return msg


async def ask(ws, text: str) -> dict:
    """Return alice's answer to `/ops TEXT`, also when a busy machine sent it after a 'Working on' ack."""
    before = len(ws.ephemerals("alice"))
    ack = (await ws.send_slash_command("alice", "#ops", text)).json
    if not ack["text"].startswith("Working on"):
        return ack
    return await ws.wait_for(lambda: next((e for e in ws.ephemerals("alice")[before:]
                                           if not e.get("text", "").startswith("Working on")), None), timeout=30)


def _actions(msg: dict) -> list[str]:
    """Return a card's buttons other than its links (alert source, runbook, dashboard)."""
    return [a for a in button_ids(msg) if not a.startswith("alerts.link.")]


def _current(stack, ts: str) -> dict:
    return next(m for m in stack.workspace.messages("#incidents") if m["ts"] == ts)


async def test_one_message_edited_in_place_until_resolved(alert_stack):
    ws = alert_stack.workspace
    status, doc = await post_webhook(alert_stack, FIRING)
    assert status == 200 and doc["alerts"] == 1 and not doc["duplicate"]
    # Alertmanager delivers at least once: the retry changes nothing.
    status, doc = await post_webhook(alert_stack, FIRING)
    assert status == 200 and doc["duplicate"]
    msg = await _posted(alert_stack)
    assert msg["text"].startswith("[open] critical incident #") and "ModelAccuracyLow" in msg["text"]
    assert {"alerts.ack", "alerts.resolve", "alerts.snooze.900", "alerts.silence"} <= set(button_ids(msg))
    assert not ws.messages("#ops")  # routed by severity, nothing leaks to the default channel

    status, _ = await post_webhook(alert_stack, RESOLVED)
    assert status == 200
    # All alerts resolved: the message says so, then the cool-down (1 s) closes the incident.
    await ws.wait_for(lambda: _current(alert_stack, msg["ts"])["text"].startswith("[resolved]"), timeout=10)
    done = _current(alert_stack, msg["ts"])
    # A resolved card keeps only what makes sense after: Reopen, Add note, its postmortem draft, its links.
    assert len(incident_messages(alert_stack)) == 1 and sorted(_actions(done)) == [
        "alerts.note", "alerts.reopen", "postmortem.draft"]
    # Only meaningful changes reach the thread: the alert resolving just edits the message
    # ("closing at ..."); the close itself is one reply.
    await ws.wait_for(lambda: ws.replies("#incidents", msg["ts"]), timeout=10)
    (reply,) = ws.replies("#incidents", msg["ts"])
    assert "all alerts stayed resolved" in reply["text"]


async def test_buttons_ack_snooze_silence_expire_resolve(alert_stack, alertmanager):
    ws = alert_stack.workspace
    await post_webhook(alert_stack, FIRING)
    msg = await _posted(alert_stack)
    ts = msg["ts"]

    await ws.click("alice", "#incidents", ts, "alerts.ack")
    await ws.wait_for(lambda: _current(alert_stack, ts)["text"].startswith("[acknowledged]"), timeout=10)
    assert "alerts.ack" not in button_ids(_current(alert_stack, ts))
    await ws.wait_for(lambda: any("acknowledged by alice" in r["text"] for r in ws.replies("#incidents", ts)),
                      timeout=10)

    await ws.click("bob", "#incidents", ts, "alerts.snooze.900")
    await ws.wait_for(lambda: "snoozed until" in str(_current(alert_stack, ts)["blocks"]), timeout=10)

    await ws.click("alice", "#incidents", ts, "alerts.silence")
    await ws.wait_for(lambda: "alerts.unsilence" in button_ids(_current(alert_stack, ts)), timeout=10)
    am = AlertmanagerClient(alertmanager)
    try:
        ours = [s for s in await am.list_silences() if "incident #" in s.comment and s.state == "active"]
        assert len(ours) == 1 and "alice" in ours[0].created_by and "U0ALICE" in ours[0].created_by
        assert {m.name for m in ours[0].matchers} == {"alertname"}  # the capture has no service label
        await ws.click("alice", "#incidents", ts, "alerts.unsilence")
        await ws.wait_for(lambda: "alerts.silence" in button_ids(_current(alert_stack, ts)), timeout=10)
        assert {s.id: s.state for s in await am.list_silences()}[ours[0].id] == "expired"
    finally:
        await am.aclose()

    await ws.click("carol", "#incidents", ts, "alerts.resolve")
    await ws.wait_for(lambda: _current(alert_stack, ts)["text"].startswith("[resolved]"), timeout=10)
    assert "carol" in str(_current(alert_stack, ts)["blocks"])
    assert len(incident_messages(alert_stack)) == 1 and sorted(_actions(_current(alert_stack, ts))) == [
        "alerts.note", "alerts.reopen", "postmortem.draft"]


async def test_suggested_runbook_opens_its_modal(alert_stack):
    ws = alert_stack.workspace
    await post_webhook(alert_stack, FIRING)
    msg = await _posted(alert_stack)
    assert "runbook.open" in button_ids(msg) and "Run retrain-model" in str(msg["blocks"])
    inc_id = msg["text"].split("#")[1].split(":")[0]
    await ws.click("alice", "#incidents", msg["ts"], "runbook.open", block_id=f"incident_{inc_id}_runbook_1")
    await ws.wait_for(lambda: ws.open_view("alice"), timeout=10)
    view = ws.open_view("alice")
    assert view["title"]["text"] == "Run retrain-model"
    # The alert carries model=fraud, and the runbook has a `model` parameter: it is pre-filled.
    (field,) = [b for b in view["blocks"] if b.get("block_id") == "param:model"]
    assert field["element"]["initial_value"] == "fraud"
    assert f"Opened from incident #{inc_id}" in str(view["blocks"]) and "`model` = `fraud`" in str(view["blocks"])
    # Submitting the pre-filled form requests the run for that model.
    answer = await ws.submit_view("alice")  # untouched fields submit their initial values
    assert answer.status == 200 and ws.open_view("alice") is None
    # Policy lets alice run it at once: the runbook's notify step names the pre-filled model.
    await ws.wait_for(lambda: any("Retraining fraud" in str(m) for ch in ("#incidents", "#ops")
                                  for m in ws.messages(ch)), timeout=10)

    # Bob may not: his submission closes the modal and the reason reaches him, not a silent failure.
    await ws.click("bob", "#incidents", msg["ts"], "runbook.open", block_id=f"incident_{inc_id}_runbook_1")
    await ws.wait_for(lambda: ws.open_view("bob"), timeout=10)
    await ws.submit_view("bob")
    await ws.wait_for(lambda: any("runbook:retrain-model" in str(m) for m in ws.ephemerals("bob")), timeout=10)


async def test_commands_answer_about_incidents(alert_stack):
    ws = alert_stack.workspace
    await post_webhook(alert_stack, FIRING)
    msg = await _posted(alert_stack)
    inc_id = msg["text"].split("#")[1].split(":")[0]

    text = (await ask(ws, "incidents"))["text"]
    assert text.startswith("1 open incident")
    detail = str((await ask(ws, f"incident {inc_id}"))["blocks"])
    # People's words, not internal codes; a fingerprint only as the ready `/ops why` command that
    # explains its alert (one per alert name, never a dump of fingerprints).
    assert "ModelAccuracyLow" in detail and "1 firing" in detail and "new incident" in detail
    assert detail.count("7a5469aab64c84f9") == detail.count("/ops why 7a5469aab64c84f9") == 1
    assert "new_incident" not in detail and "group/" not in detail
    why = str((await ask(ws, f"why {inc_id}"))["blocks"])
    # Which part of Opsbot decided, in words ("message", "grouping"), and about which alert.
    assert "*message*" in why and "next notification due" in why and "ModelAccuracyLow" in why
    why_fp = str((await ask(ws, "why 7a5469aab64c84f9"))["blocks"])
    assert "*delivery*" in why_fp and "*grouping*" in why_fp and "(7a5469aab64c84f9)" in why_fp
    stats = (await ask(ws, "stats 7d"))
    assert "1 alert in, 1 incident out" in stats["text"]

    await post_webhook(alert_stack, RESOLVED)
    await ws.wait_for(lambda: _current(alert_stack, msg["ts"])["text"].startswith("[resolved]"), timeout=10)
    assert (await ask(ws, "incidents"))["text"].startswith("0 open")
    assert (await ask(ws, "incidents all"))["text"].startswith("1 incident")
    bad = await ws.send_slash_command("alice", "#ops", "incident abc")
    assert "incident id 'abc' is not a whole number" in str(bad.json)
    missing = await ws.send_slash_command("alice", "#ops", "why 999")
    assert "does not exist" in str(missing.json)
    bare = await ws.send_slash_command("alice", "#ops", "why")  # said "why what?"
    assert "needs an alert fingerprint or an incident id" in str(bare.json) and "why what" not in str(bare.json)


async def test_bad_bodies_are_refused_and_counted(alert_stack):
    assert (await post_webhook(alert_stack, FIRING, token="wrong"))[0] == 401
    assert (await post_webhook(alert_stack, FIRING, token=None))[0] == 401
    status, doc = await post_webhook(alert_stack, b"{not json")
    assert status == 400 and "JSON" in doc["message"]
    status, doc = await post_webhook(alert_stack, {"source": "cron", "alerts": [{"labels": {}}]}, "/webhooks/alerts")
    assert status == 400 and "alertname" in doc["message"]
    status, doc = await post_webhook(alert_stack, FIRING, content_type="text/plain")
    assert status == 415
    async with aiohttp.ClientSession() as http:
        async with http.get(alert_stack.bot.url + "/metrics") as r:
            metrics = await r.text()
    assert 'opsbot_webhook_rejections_total{reason="unauthorized",source="alertmanager"} 2.0' in metrics
    assert 'opsbot_webhook_rejections_total{reason="invalid_payload",source="generic"} 1.0' in metrics
    assert not incident_messages(alert_stack)
