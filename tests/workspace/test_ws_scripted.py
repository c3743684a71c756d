"""Answers a real bot might give, scripted: response_action variants, timeouts, odd bodies."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl

import pytest
from aiohttp import web

from tinybot import FORM_VIEW

NEXT_VIEW = {"type": "modal", "title": {"type": "plain_text", "text": "Step 2"},
             "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "next"}}]}


@pytest.fixture
async def scripted(workspace):
    """A fake bot answering from a queue of (delay, status, body); records requests."""
    answers: list[tuple[float, int, str]] = []
    seen: list[dict] = []

    async def handle(request: web.Request) -> web.Response:
        form = dict(parse_qsl((await request.read()).decode()))
        seen.append(json.loads(form["payload"]) if "payload" in form else form)
        delay, status, body = answers.pop(0) if answers else (0.0, 200, "")
        await asyncio.sleep(delay)
        return web.Response(status=status, text=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    workspace.set_request_url(f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events")
    try:
        yield answers, seen
    finally:
        await runner.cleanup()


def open_form(workspace, user="U0ALICE", view=FORM_VIEW):
    ws = workspace.workspace
    return ws.views.open(user, view, ws.now())


async def test_response_action_update_push_clear(workspace, scripted):
    answers, seen = scripted
    open_form(workspace)
    answers.append((0, 200, json.dumps({"response_action": "update", "view": NEXT_VIEW})))
    await workspace.submit_view("alice", {"namespace": "a", "env": "prod"})
    assert workspace.open_view("alice")["title"]["text"] == "Step 2"
    assert seen[-1]["view"]["state"]["values"]["namespace"]["value"]["value"] == "a"
    answers.append((0, 200, json.dumps({"response_action": "push", "view": FORM_VIEW})))
    await workspace.submit_view("alice")
    assert len(workspace.workspace.views.stack("U0ALICE")) == 2
    answers.append((0, 200, json.dumps({"response_action": "clear"})))
    await workspace.submit_view("alice", {"namespace": "b", "env": "staging"})
    assert workspace.open_view("alice") is None


async def test_empty_ack_closes_only_the_top_view(workspace, scripted):
    open_form(workspace)
    ws = workspace.workspace
    ws.views.push("U0ALICE", NEXT_VIEW, ws.now())
    await workspace.submit_view("alice")
    assert workspace.open_view("alice")["callback_id"] == "runbook.params"


async def test_required_fields_checked_before_sending(workspace, scripted):
    _, seen = scripted
    open_form(workspace)
    with pytest.raises(ValueError, match="Namespace"):
        await workspace.submit_view("alice", {"env": "prod"})
    assert seen == []


async def test_slow_bot_times_out_like_slack(workspace, scripted):
    answers, _ = scripted
    workspace.workspace.config.request_timeout = 0.2
    answers.append((0.5, 200, ""))
    answer = await workspace.send_slash_command("alice", "ops", "help")
    assert answer.error == "operation_timeout"
    assert workspace.last_ephemeral("alice")["text"] == \
        '/ops help failed with the error "operation_timeout"'
    open_form(workspace)
    answers.append((0.5, 200, ""))
    await workspace.submit_view("alice", {"namespace": "a", "env": "prod"})
    assert workspace.view_errors("alice") == {"": "We had some trouble connecting. Try again?"}


async def test_plain_text_and_error_status_answers(workspace, scripted):
    answers, _ = scripted
    answers.append((0, 200, "plain words"))
    await workspace.send_slash_command("bob", "ops", "x")
    assert workspace.last_ephemeral("bob")["text"] == "plain words"
    answers.append((0, 500, "boom"))
    answer = await workspace.send_slash_command("bob", "ops", "x")
    assert answer.error == "dispatch_failed"
    answers.append((0, 200, json.dumps({"text": "x", "blocks": [{"type": "bogus"}]})))
    answer = await workspace.send_slash_command("bob", "ops", "x")
    assert answer.error == "invalid_blocks"


async def test_click_picks_row_by_value_and_selects_option(workspace, scripted):
    _, seen = scripted
    ws = workspace.workspace
    rows = [{"type": "section", "block_id": f"row{i}", "text": {"type": "mrkdwn", "text": f"r{i}"},
             "accessory": {"type": "button", "action_id": "ack", "value": f"a{i}",
                           "text": {"type": "plain_text", "text": "Ack"}}} for i in range(3)]
    rows.append({"type": "actions", "block_id": "pick", "elements": [{
        "type": "static_select", "action_id": "snooze", "options": [
            {"text": {"type": "plain_text", "text": "1h"}, "value": "1h"}]}]})
    msg = ws.post(ws.require_channel("incidents"), ws.bot_message("rows", rows))
    with pytest.raises(ValueError, match="block_id"):
        await workspace.click("carol", "incidents", msg["ts"], "ack")
    await workspace.click("carol", "incidents", msg["ts"], "ack", value="a2")
    assert seen[-1]["actions"][0]["block_id"] == "row2"
    await workspace.click("carol", "incidents", msg["ts"], "ack", block_id="row1")
    assert seen[-1]["actions"][0]["value"] == "a1"
    await workspace.click("carol", "incidents", msg["ts"], "snooze", value="1h")
    assert seen[-1]["actions"][0]["selected_option"]["value"] == "1h"
    with pytest.raises(LookupError):
        await workspace.click("carol", "incidents", msg["ts"], "missing")
