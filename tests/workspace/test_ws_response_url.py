"""response_url: ephemeral or in_channel posts, replace/delete original, 5 uses in 30 minutes."""

from __future__ import annotations

from bot.workspace.tokens import ResponseTarget

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*new*"}}]


def url_for(running, **target) -> str:
    ws = running.workspace
    token = ws.tokens.issue_response_url(ResponseTarget(**target), ws.now())
    return f"{running.url}/response/{token}"


async def post(http, url, body):
    async with http.post(url, json=body) as resp:
        return resp.status, await resp.text()


async def test_default_is_ephemeral_and_in_channel_posts(clocked, http):
    url = url_for(clocked, channel_id="C0OPS", user_id="U0ALICE")
    assert await post(http, url, {"text": "only you"}) == (200, "ok")
    assert clocked.last_ephemeral("alice")["text"] == "only you"
    assert clocked.messages("ops") == []
    assert await post(http, url, {"text": "everyone", "response_type": "in_channel"}) == (200, "ok")
    assert clocked.messages("ops")[0]["text"] == "everyone"


async def test_thread_ts_posts_in_thread(clocked, http):
    parent = await clocked.post_as("bob", "ops", "parent")
    url = url_for(clocked, channel_id="C0OPS", user_id="U0BOB")
    await post(http, url, {"text": "in thread", "response_type": "in_channel",
                           "thread_ts": parent["ts"]})
    assert [m["text"] for m in clocked.replies("ops", parent["ts"])] == ["in thread"]


async def test_replace_and_delete_channel_original(clocked, http):
    ws = clocked.workspace
    msg = ws.post(ws.require_channel("ops"), ws.bot_message("old", None))
    url = url_for(clocked, channel_id="C0OPS", user_id="U0ALICE", origin_ts=msg["ts"])
    await post(http, url, {"replace_original": True, "text": "new", "blocks": BLOCKS})
    current = clocked.messages("ops")[0]
    assert current["ts"] == msg["ts"] and current["text"] == "new"
    assert current["blocks"][0]["text"]["text"] == "*new*"
    assert await post(http, url, {"delete_original": True}) == (200, "ok")
    assert clocked.messages("ops") == []


async def test_replace_and_delete_ephemeral_original(clocked, http):
    ws = clocked.workspace
    eph = ws.post_ephemeral(ws.require_channel("ops"), "U0CAROL", ws.bot_message("old", None))
    url = url_for(clocked, channel_id="C0OPS", user_id="U0CAROL", origin_ts=eph["ts"],
                  origin_ephemeral=True)
    await post(http, url, {"replace_original": "true", "text": "swapped"})
    assert [e["text"] for e in clocked.ephemerals("carol")] == ["swapped"]
    await post(http, url, {"delete_original": True})
    assert clocked.ephemerals("carol") == []


async def test_five_uses_then_used_url(clocked, http):
    url = url_for(clocked, channel_id="C0OPS", user_id="U0ALICE")
    for i in range(5):
        assert (await post(http, url, {"text": f"n{i}"}))[0] == 200
    assert await post(http, url, {"text": "sixth"}) == (404, "used_url")
    assert len(clocked.ephemerals("alice")) == 5


async def test_expires_after_thirty_minutes(clocked, http):
    url = url_for(clocked, channel_id="C0OPS", user_id="U0ALICE")
    clocked.clock.advance(29 * 60)
    assert (await post(http, url, {"text": "still fine"}))[0] == 200
    clocked.clock.advance(2 * 60)
    assert await post(http, url, {"text": "too late"}) == (404, "expired_url")


async def test_bad_bodies(clocked, http):
    url = url_for(clocked, channel_id="C0OPS", user_id="U0ALICE")
    async with http.post(url, data=b"{nope", headers={"Content-Type": "application/json"}) as resp:
        assert (resp.status, await resp.text()) == (400, "invalid_payload")
    status, text = await post(http, url, {"text": "x", "blocks": [{"type": "nope"}]})
    assert status == 400 and text.startswith("invalid_blocks")
    assert (await post(http, url, {}))[1] == "no_text"
    assert await post(http, f"{clocked.url}/response/unknown", {"text": "x"}) == (404, "no_service")
