"""Round trips with a real Bolt AsyncApp over HTTP: commands, clicks, modals, response_url."""

from __future__ import annotations


async def test_slash_command_answer_is_shown_ephemerally(workspace, bot):
    answer = await workspace.send_slash_command("alice", "#ops", "help")
    assert answer.status == 200 and answer.error is None
    assert answer.text.startswith("Opsbot help")
    shown = workspace.last_ephemeral("alice")
    assert shown is not None and shown["channel"] == "C0OPS"
    assert shown["blocks"][0]["type"] == "header"
    assert workspace.last_ephemeral("bob") is None
    assert workspace.messages("ops") == []
    command = bot[0]
    assert command["user_id"] == "U0ALICE" and command["user_name"] == "alice"
    assert command["channel_name"] == "ops" and command["command"] == "/ops"
    assert command["response_url"].startswith(workspace.url + "/response/")


async def test_in_channel_answer_posts_invocation_and_reply(workspace, bot):
    await workspace.send_slash_command("bob", "ops", "shout")
    msgs = workspace.messages("ops")
    assert [m.get("user") for m in msgs] == ["U0BOB", "U0OPSBOT"]
    assert msgs[0]["text"] == "/ops shout" and msgs[1]["text"] == "<@U0BOB> shouts!"


async def test_respond_via_response_url_in_channel(workspace, bot):
    await workspace.send_slash_command("alice", "ops", "later")
    msgs = await workspace.wait_for(lambda: workspace.messages("ops"))
    assert msgs[-1]["text"] == "done later"


async def test_click_on_ephemeral_replaces_it_through_response_url(workspace, bot):
    await workspace.send_slash_command("alice", "ops", "help")
    eph = workspace.last_ephemeral("alice")
    answer = await workspace.click("alice", "ops", eph["ts"], "help.more")
    assert answer.status == 200
    await workspace.wait_for(lambda: workspace.last_ephemeral("alice")["text"].endswith("2)"))
    payload = bot[-1]
    assert payload["container"]["is_ephemeral"] is True and "message" not in payload
    assert payload["actions"][0]["value"] == "page2"
    assert workspace.last_ephemeral("alice")["blocks"][0]["text"]["text"] == "Page 2: *all done*"


async def test_button_click_updates_message_with_chat_update(workspace, bot):
    await workspace.send_slash_command("alice", "ops", "announce")
    msgs = await workspace.wait_for(lambda: workspace.messages("ops"))
    ts = msgs[0]["ts"]
    await workspace.click("bob", "ops", ts, "approval.approve")
    await workspace.wait_for(lambda: workspace.messages("ops")[0]["text"].startswith("Approved"))
    msg = workspace.messages("ops")[0]
    assert msg["text"] == "Approved by <@U0BOB>" and "edited" in msg
    assert all(b["type"] != "actions" for b in msg["blocks"])
    click = bot[-1]
    assert click["message"]["ts"] == ts and click["user"]["id"] == "U0BOB"
    assert click["actions"][0]["action_id"] == "approval.approve"


async def test_modal_submission_errors_then_success(workspace, bot):
    await workspace.send_slash_command("carol", "ops", "form")
    view = await workspace.wait_for(lambda: workspace.open_view("carol"))
    assert view["callback_id"] == "runbook.params"
    await workspace.submit_view("carol", {"namespace": "nope", "env": "prod"})
    assert workspace.view_errors("carol") == {"namespace": "Unknown namespace nope"}
    assert workspace.open_view("carol") is not None
    submission = bot[-1]
    assert submission["type"] == "view_submission"
    assert submission["view"]["state"]["values"]["env"]["pick"]["selected_option"]["value"] == "prod"
    await workspace.submit_view("carol", {"namespace": "payments", "env": "staging"})
    assert workspace.open_view("carol") is None
    msgs = await workspace.wait_for(lambda: workspace.messages("ops"))
    assert msgs[-1]["text"] == "Requested restart in staging"


async def test_bot_down_shows_slack_failure(workspace):
    workspace.set_request_url("http://127.0.0.1:9/slack/events")
    answer = await workspace.send_slash_command("alice", "ops", "help")
    assert answer.error == "dispatch_failed"
    assert "failed with the error" in workspace.last_ephemeral("alice")["text"]
