"""Every Web API method through slack_sdk's AsyncWebClient (and raw HTTP for auth and 429)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tinybot import TOKEN

SAMPLES = json.loads(Path("/work/shared/data/slack/web_api_responses.json").read_text())
HEADER = [{"type": "header", "text": {"type": "plain_text", "text": "Hello"}}]


async def error_of(coro) -> dict:
    with pytest.raises(SlackApiError) as info:
        await coro
    return info.value.response.data


async def test_auth_test_shape(client):
    data = (await client.auth_test()).data
    assert set(SAMPLES["auth.test"]) == set(data) and data["bot_id"] == "B0OPSBOT"


async def test_missing_and_wrong_token(workspace, http):
    async with http.post(workspace.api_url + "auth.test") as resp:
        assert (await resp.json()) == {"ok": False, "error": "not_authed"}
    headers = {"Authorization": "Bearer xoxb-wrong"}
    async with http.post(workspace.api_url + "auth.test", headers=headers) as resp:
        assert (await resp.json())["error"] == "invalid_auth"
    async with http.post(workspace.api_url + "auth.test", data={"token": TOKEN}) as resp:
        assert (await resp.json())["ok"] is True
    async with http.post(workspace.api_url + "nope.method", data={"token": TOKEN}) as resp:
        assert (await resp.json())["error"] == "unknown_method"


@pytest.mark.filterwarnings("ignore:The top-level `text`:UserWarning")
async def test_post_message_shape_and_errors(client, workspace):
    data = (await client.chat_postMessage(channel="#ops", text="hi", blocks=HEADER)).data
    assert set(SAMPLES["chat.postMessage"]) == set(data) and data["channel"] == "C0OPS"
    assert data["message"]["blocks"][0]["block_id"]  # Slack fills block ids in
    assert workspace.messages("ops")[0]["ts"] == data["ts"]
    assert (await error_of(client.chat_postMessage(channel="C404", text="x")))["error"] == \
        "channel_not_found"
    bad = await error_of(client.chat_postMessage(
        channel="ops", text="x", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]))
    assert bad == SAMPLES["error.invalid_blocks"]
    assert (await error_of(client.chat_postMessage(channel="ops")))["error"] == "no_text"
    no_fallback = await error_of(client.chat_postMessage(channel="ops", blocks=HEADER))
    assert no_fallback["error"] == "invalid_arguments"
    assert "text fallback" in no_fallback["response_metadata"]["messages"][0]
    assert (await error_of(client.chat_postMessage(channel="ops", text="x", thread_ts="1.2")))[
        "error"] == "thread_not_found"


async def test_form_encoded_post_with_json_blocks(workspace, http):
    form = {"token": TOKEN, "channel": "ml-models", "text": "fallback", "blocks": json.dumps(HEADER)}
    async with http.post(workspace.api_url + "chat.postMessage", data=form) as resp:
        data = await resp.json()
    assert data["ok"] and data["message"]["blocks"][0]["text"]["text"] == "Hello"
    form["blocks"] = "[not json"
    async with http.post(workspace.api_url + "chat.postMessage", data=form) as resp:
        assert (await resp.json())["error"] == "invalid_blocks_format"


async def test_threads_and_replies(client, workspace):
    parent = (await client.chat_postMessage(channel="ops", text="parent")).data["ts"]
    await client.chat_postMessage(channel="ops", text="r1", thread_ts=parent)
    await workspace.post_as("bob", "ops", "r2", thread_ts=parent)
    replies = (await client.conversations_replies(channel="C0OPS", ts=parent)).data["messages"]
    assert [m["text"] for m in replies] == ["parent", "r1", "r2"]
    assert replies[0]["reply_count"] == 2 and replies[0]["reply_users"] == ["U0OPSBOT", "U0BOB"]
    assert [m["text"] for m in workspace.replies("ops", parent)] == ["r1", "r2"]
    history = (await client.conversations_history(channel="C0OPS")).data["messages"]
    assert [m["text"] for m in history] == ["parent"]
    assert (await error_of(client.conversations_replies(channel="C0OPS", ts="9.9")))["error"] == \
        "thread_not_found"


async def test_update_and_delete(client, workspace):
    ts = (await client.chat_postMessage(channel="ops", text="v1", blocks=HEADER)).data["ts"]
    data = (await client.chat_update(channel="C0OPS", ts=ts, text="v2")).data
    assert set(SAMPLES["chat.update"]) <= set(data) and data["text"] == "v2"
    msg = workspace.messages("ops")[0]
    assert msg["text"] == "v2" and msg["blocks"][0]["type"] == "header" and msg["edited"]
    assert (await error_of(client.chat_update(channel="ops", ts="1.1", text="x")))["error"] == \
        "message_not_found"
    human = await workspace.post_as("alice", "ops", "mine")
    assert (await error_of(client.chat_update(channel="ops", ts=human["ts"], text="x")))[
        "error"] == "cant_update_message"
    assert (await error_of(client.chat_delete(channel="ops", ts=human["ts"])))["error"] == \
        "cant_delete_message"
    await client.chat_delete(channel="ops", ts=ts)
    assert [m["text"] for m in workspace.messages("ops")] == ["mine"]
    assert (await error_of(client.chat_delete(channel="ops", ts=ts)))["error"] == \
        "message_not_found"


async def test_deleting_a_thread_parent_leaves_tombstone(client, workspace):
    ts = (await client.chat_postMessage(channel="ops", text="p")).data["ts"]
    await client.chat_postMessage(channel="ops", text="r", thread_ts=ts)
    await client.chat_delete(channel="ops", ts=ts)
    parent = workspace.messages("ops")[0]
    assert parent["subtype"] == "tombstone" and workspace.replies("ops", ts)[0]["text"] == "r"


async def test_post_ephemeral(client, workspace):
    data = (await client.chat_postEphemeral(channel="ops", user="U0BOB", text="psst")).data
    assert set(data) == set(SAMPLES["chat.postEphemeral"])
    assert workspace.last_ephemeral("bob")["text"] == "psst"
    assert workspace.last_ephemeral("alice") is None and workspace.messages("ops") == []
    assert (await error_of(client.chat_postEphemeral(channel="ops", user="U404", text="x")))[
        "error"] == "user_not_found"


async def test_users_groups_and_channels(client):
    user = (await client.users_info(user="U0ALICE")).data["user"]
    assert user["name"] == "alice" and user["profile"]["real_name"] == "Alice Archer"
    assert (await error_of(client.users_info(user="U404")))["error"] == "user_not_found"
    members = (await client.usergroups_users_list(usergroup="S0MLAPPROVERS")).data["users"]
    assert members == ["U0ALICE", "U0BOB"]
    assert (await error_of(client.usergroups_users_list(usergroup="S404")))["error"] == \
        "no_such_subteam"
    names = [c["name"] for c in (await client.conversations_list()).data["channels"]]
    assert names == ["ops", "ml-models", "incidents"]
    page = (await client.conversations_list(limit=2)).data
    assert page["response_metadata"]["next_cursor"] == "2"


async def test_rate_limit_per_channel_with_retry_after(clocked, http):
    headers = {"Authorization": f"Bearer {TOKEN}"}

    async def post(channel: str):
        async with http.post(clocked.api_url + "chat.postMessage", headers=headers,
                             json={"channel": channel, "text": "x"}) as resp:
            return resp.status, resp.headers.get("Retry-After"), await resp.json()

    assert [(await post("ops"))[0] for _ in range(3)] == [200, 200, 200]
    status, retry_after, body = await post("ops")
    assert (status, retry_after, body) == (429, "1", SAMPLES["error.ratelimited"]["body"])
    assert (await post("incidents"))[0] == 200  # other channels keep their own budget
    clocked.clock.advance(1.0)
    assert (await post("ops"))[0] == 200
    assert (await post("ops"))[0] == 429


async def test_sdk_sees_ratelimited_error(clocked):
    client = AsyncWebClient(token=TOKEN, base_url=clocked.api_url)
    for _ in range(3):
        await client.chat_postMessage(channel="ops", text="x")
    err = await error_of(client.chat_postMessage(channel="ops", text="x"))
    assert err["error"] == "ratelimited"


async def test_message_metadata_round_trip(client):
    meta = {"event_type": "opsbot_notice", "event_payload": {"key": "incident:1"}}
    await client.chat_postMessage(channel="ops", text="x", metadata=meta)
    plain = (await client.conversations_history(channel="C0OPS")).data["messages"][0]
    assert "metadata" not in plain
    full = (await client.conversations_history(channel="C0OPS", include_all_metadata=True)).data
    assert full["messages"][0]["metadata"] == meta
    bad = await error_of(client.chat_postMessage(channel="ops", text="x",
                                                 metadata={"event_type": "t"}))
    assert bad["error"] == "invalid_metadata_format"
