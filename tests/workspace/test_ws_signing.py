"""Request signing against Slack's worked example, and the shape of what we send the bot."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl

from aiohttp import web

from bot.workspace.signing import sign, signed_headers, verify
from tinybot import SECRET

DATA = Path("/work/shared/data/slack")
VECTOR = json.loads((DATA / "signature_vector.json").read_text())
BODY = (DATA / "slash_command.form").read_bytes().rstrip(b"\n")


def test_signature_matches_vector():
    assert sign(VECTOR["signing_secret"], VECTOR["x_slack_request_timestamp"], BODY) == \
        VECTOR["x_slack_signature"]


def test_verify_window_and_tampering():
    secret, ts, sig = (VECTOR["signing_secret"], VECTOR["x_slack_request_timestamp"],
                       VECTOR["x_slack_signature"])
    assert verify(secret, ts, BODY, sig, now=int(ts) + 299)
    assert not verify(secret, ts, BODY, sig, now=int(ts) + 301)
    assert not verify(secret, ts, BODY + b"x", sig, now=int(ts))
    assert not verify("other", ts, BODY, sig, now=int(ts))
    assert not verify(secret, "not-a-number", BODY, sig, now=int(ts))


def test_signed_headers_use_given_time():
    headers = signed_headers("s", b"a=1", now=1234.9)
    assert headers["X-Slack-Request-Timestamp"] == "1234"
    assert headers["X-Slack-Signature"] == sign("s", "1234", b"a=1")


async def test_outgoing_requests_are_signed_and_shaped_like_slack(workspace):
    received: list[tuple[dict, bytes]] = []

    async def capture(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/slack/events", capture)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    workspace.set_request_url(f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events")
    try:
        await workspace.send_slash_command("alice", "ops", "promote churn 7 to champion")
        msg = workspace.workspace.post(workspace.workspace.require_channel("ops"),
                                       workspace.workspace.bot_message("x", [
                                           {"type": "actions", "elements": [
                                               {"type": "button", "action_id": "a",
                                                "text": {"type": "plain_text", "text": "A"}}]}]))
        await workspace.click("bob", "ops", msg["ts"], "a")
    finally:
        await runner.cleanup()

    for headers, body in received:
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
        ts = headers["X-Slack-Request-Timestamp"]
        assert headers["X-Slack-Signature"] == sign(SECRET, ts, body)
    slash = parse_qsl(received[0][1].decode())
    expected_keys = [k for k, _ in parse_qsl(BODY.decode())]
    assert [k for k, _ in slash] == expected_keys
    assert dict(slash)["text"] == "promote churn 7 to champion"
    form = dict(parse_qsl(received[1][1].decode()))
    payload = json.loads(form["payload"])
    sample = json.loads((DATA / "block_actions.json").read_text())
    assert set(sample) <= set(payload)
    assert set(sample["actions"][0]) - {"value", "style"} <= set(payload["actions"][0])
    assert payload["container"] == {"type": "message", "message_ts": msg["ts"],
                                    "channel_id": "C0OPS", "is_ephemeral": False}
