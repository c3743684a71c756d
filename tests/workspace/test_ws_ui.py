"""The page's HTTP endpoints: static files, bootstrap, polling state, sending, dismissing."""

from __future__ import annotations


async def test_page_and_assets_are_served(workspace, http):
    for path, kind in (("/", "text/html"), ("/static/app.js", "javascript"),
                       ("/static/style.css", "text/css")):
        async with http.get(workspace.url + path) as resp:
            assert resp.status == 200 and kind in resp.headers["Content-Type"]
    async with http.get(workspace.url + "/ui/bootstrap") as resp:
        boot = await resp.json()
    assert boot["command"] == "/ops"
    assert [u["name"] for u in boot["users"] if not u.get("is_bot")] == ["alice", "bob", "carol"]


async def test_state_polling_only_sends_changes(workspace, http):
    state = workspace.url + "/ui/state"
    async with http.get(state, params={"channel": "C0OPS", "user": "U0ALICE"}) as resp:
        first = await resp.json()
    assert first["changed"] and first["messages"] == []
    params = {"channel": "C0OPS", "user": "U0ALICE", "since": str(first["version"])}
    async with http.get(state, params=params) as resp:
        assert (await resp.json())["changed"] is False
    async with http.post(workspace.url + "/ui/send",
                         json={"user": "U0BOB", "channel": "C0OPS", "text": "hello"}) as resp:
        assert (await resp.json())["ok"]
    async with http.get(state, params=params) as resp:
        data = await resp.json()
    assert data["changed"] and data["messages"][0]["text"] == "hello"
    assert data["messages"][0]["user"] == "U0BOB"


async def test_thread_ephemerals_and_dismiss(workspace, http):
    ws = workspace.workspace
    ops = ws.require_channel("ops")
    parent = await workspace.post_as("alice", "ops", "parent")
    async with http.post(workspace.url + "/ui/send", json={
            "user": "U0CAROL", "channel": "C0OPS", "text": "reply", "thread_ts": parent["ts"]}):
        pass
    eph = ws.post_ephemeral(ops, "U0ALICE", ws.bot_message("secret", None))
    params = {"channel": "C0OPS", "user": "U0ALICE", "thread": parent["ts"]}
    async with http.get(workspace.url + "/ui/state", params=params) as resp:
        data = await resp.json()
    assert [m["text"] for m in data["messages"]] == ["parent", "secret"]
    assert data["messages"][1]["ephemeral"] is True
    assert [m["text"] for m in data["thread"]["replies"]] == ["reply"]
    params["user"] = "U0BOB"
    async with http.get(workspace.url + "/ui/state", params=params) as resp:
        assert [m["text"] for m in (await resp.json())["messages"]] == ["parent"]
    async with http.post(workspace.url + "/ui/dismiss",
                         json={"user": "U0BOB", "ts": eph["ts"]}) as resp:
        assert resp.status == 404  # not bob's to dismiss
    async with http.post(workspace.url + "/ui/dismiss",
                         json={"user": "U0ALICE", "ts": eph["ts"]}) as resp:
        assert resp.status == 200
    assert workspace.ephemerals("alice") == []


async def test_bad_requests_get_400(workspace, http):
    async with http.post(workspace.url + "/ui/send", data=b"{bad",
                         headers={"Content-Type": "application/json"}) as resp:
        assert resp.status == 400
    async with http.post(workspace.url + "/ui/send",
                         json={"user": "nobody", "channel": "C0OPS", "text": "x"}) as resp:
        assert resp.status == 400
    async with http.post(workspace.url + "/ui/action", json={
            "user": "U0ALICE", "channel": "C0OPS", "ts": "1.0", "action_id": "x"}) as resp:
        assert resp.status == 400 and "no message" in (await resp.json())["error"]
