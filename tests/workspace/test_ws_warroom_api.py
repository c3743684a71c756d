"""Channels, invites, pins, file uploads (files_upload_v2) and the Home tab through slack_sdk."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

HOME = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]}


async def error_of(coro) -> dict:
    with pytest.raises(SlackApiError) as info:
        await coro
    return info.value.response.data


async def test_create_channel_name_rules_and_collision(client):
    made = (await client.conversations_create(name="inc-7-db_down")).data
    assert made["ok"] and made["channel"]["name"] == "inc-7-db_down" and made["channel"]["is_member"]
    assert await error_of(client.conversations_create(name="inc-7-db_down")) == {"ok": False, "error": "name_taken"}
    for name, code in [("Has Caps", "invalid_name_specials"), ("a.b", "invalid_name_specials"),
                       ("has space", "invalid_name_specials"), ("x" * 81, "invalid_name_maxlength"),
                       ("", "invalid_name_required"), ("---", "invalid_name_punctuation")]:
        assert await error_of(client.conversations_create(name=name)) == {"ok": False, "error": code}, name


async def test_invite_errors_and_members(client, workspace):
    cid = (await client.conversations_create(name="inc-1"))["channel"]["id"]
    assert (await client.conversations_invite(channel=cid, users="U0ALICE,U0BOB"))["ok"]
    assert workspace.members(cid) == ["U0OPSBOT", "U0ALICE", "U0BOB"]
    assert (await error_of(client.conversations_invite(channel=cid, users="U0ALICE")))["error"] == "already_in_channel"
    assert (await error_of(client.conversations_invite(channel=cid, users="U0OPSBOT")))["error"] == "cant_invite_self"
    assert (await error_of(client.conversations_invite(channel=cid, users="U0NOBODY")))["error"] == "user_not_found"
    assert (await error_of(client.conversations_invite(channel="C0NOPE", users="U0ALICE")))["error"] == "channel_not_found"
    both = await error_of(client.conversations_invite(channel=cid, users="U0ALICE,U0CAROL"))
    assert both["errors"] == [{"user": "U0ALICE", "ok": False, "error": "already_in_channel"}]
    assert "U0CAROL" not in workspace.members(cid)  # one failure refuses the whole call...
    forced = await client.conversations_invite(channel=cid, users="U0ALICE,U0CAROL", force=True)
    assert forced["ok"] and "U0CAROL" in workspace.members(cid)  # ...unless forced
    assert (await client.conversations_members(channel=cid))["members"] == workspace.members(cid)


async def test_pins(client, workspace):
    ts = (await client.chat_postMessage(channel="ops", text="card"))["ts"]
    assert (await client.pins_add(channel="C0OPS", timestamp=ts))["ok"]
    assert workspace.pins("ops") == [ts]
    assert await error_of(client.pins_add(channel="C0OPS", timestamp=ts)) == {"ok": False, "error": "already_pinned"}
    assert await error_of(client.pins_add(channel="C0OPS")) == {"ok": False, "error": "no_item_specified"}
    assert (await error_of(client.pins_add(channel="C0OPS", timestamp="1.000001")))["error"] == "message_not_found"
    items = (await client.pins_list(channel="C0OPS"))["items"]
    assert [i["message"]["ts"] for i in items] == [ts]


async def test_files_upload_v2_shares_in_thread(client, workspace, http):
    ts = (await client.chat_postMessage(channel="ops", text="card"))["ts"]
    done = await client.files_upload_v2(channel="C0OPS", thread_ts=ts, content="# Draft\n", filename="pm.md",
                                        title="Postmortem", initial_comment="draft attached")
    f = done["file"]
    assert f["name"] == "pm.md" and f["title"] == "Postmortem" and f["channels"] == ["C0OPS"]
    reply = workspace.replies("ops", ts)[-1]
    assert reply["text"] == "draft attached" and reply["files"][0]["id"] == f["id"]
    async with http.get(f["url_private_download"]) as resp:
        assert resp.status == 200 and await resp.text() == "# Draft\n"
    again = await error_of(client.files_completeUploadExternal(files=[{"id": f["id"]}], channel_id="C0OPS"))
    assert again["error"] == "file_upload_already_completed"
    reserved = await client.files_getUploadURLExternal(filename="x.md", length=3)
    never = await error_of(client.files_completeUploadExternal(files=[{"id": reserved["file_id"]}]))
    assert never["error"] == "file_not_found"  # reserved but never uploaded


async def test_views_publish_home(client, workspace):
    first = (await client.views_publish(user_id="U0ALICE", view=HOME))["view"]
    assert workspace.home("alice")["blocks"][0]["text"]["text"] == "hi" and workspace.home("bob") is None
    stale = await error_of(client.views_publish(user_id="U0ALICE", view=HOME, hash="0.0"))
    assert stale["error"] == "hash_conflict"
    assert (await client.views_publish(user_id="U0ALICE", view=HOME, hash=first["hash"]))["view"]["id"] == first["id"]
    bad_user = await error_of(client.views_publish(user_id="U0NOBODY", view=HOME))
    assert bad_user["error"] == "invalid_arguments"
    modal = await error_of(client.views_publish(user_id="U0ALICE", view={**HOME, "type": "modal"}))
    assert modal["error"] == "invalid_arguments"


async def test_page_state_shows_members_their_channels_and_the_home_tab(client, workspace, http):
    cid = (await client.conversations_create(name="inc-9"))["channel"]["id"]
    await client.conversations_invite(channel=cid, users="U0BOB")
    await client.views_publish(user_id="U0BOB", view=HOME)
    async with http.get(workspace.url + "/ui/state", params={"user": "U0BOB", "home": "1"}) as resp:
        bob = await resp.json()
    async with http.get(workspace.url + "/ui/state", params={"user": "U0CAROL", "home": "1"}) as resp:
        carol = await resp.json()
    assert "inc-9" in [c["name"] for c in bob["channels"]] and "inc-9" not in [c["name"] for c in carol["channels"]]
    assert bob["home"]["blocks"][0]["text"]["text"] == "hi" and carol["home"] is None
    # Opening Home from the page with no bot to answer fails the way Slack's delivery would.
    async with http.post(workspace.url + "/ui/home", json={"user": "U0CAROL"}) as resp:
        assert (await resp.json())["error"] == "dispatch_failed"
