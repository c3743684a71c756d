"""Socket Mode: apps.connections.open, hello, envelopes and acks, spreading, retries, disconnects."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.workspace import WorkspaceConfig, start_workspace
from tinybot import SECRET, TOKEN, build_app

APP_TOKEN = "xapp-1-A0OPSBOT-1-test"


@pytest.fixture
async def sm_workspace(request):
    """A workspace that accepts Socket Mode connections (overrides via indirect params)."""
    overrides = getattr(request, "param", {})
    running = await start_workspace(WorkspaceConfig(signing_secret=SECRET, bot_token=TOKEN,
                                                    app_token=APP_TOKEN, **overrides))
    try:
        yield running
    finally:
        await running.stop()


class Recorder:
    """A SocketModeClient that records what it gets and acks with a chosen payload."""

    def __init__(self, ws, answer=None, ack_when=lambda req: True) -> None:
        self.client = SocketModeClient(app_token=APP_TOKEN, ping_interval=2,
                                       web_client=AsyncWebClient(base_url=ws.api_url))
        self.messages: list[dict] = []
        self.requests = []
        self.answer, self.ack_when = answer, ack_when
        self.client.message_listeners.append(self._on_message)
        self.client.socket_mode_request_listeners.append(self._on_request)

    async def _on_message(self, client, message, raw):
        self.messages.append(message)

    async def _on_request(self, client, req):
        self.requests.append(req)
        if self.ack_when(req):
            payload = self.answer(req) if self.answer else None
            await client.send_socket_mode_response(SocketModeResponse(req.envelope_id, payload))

    async def __aenter__(self) -> "Recorder":
        await self.client.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.close()


async def api_error(coro) -> str:
    with pytest.raises(SlackApiError) as info:
        await coro
    return info.value.response["error"]


async def test_connections_open_takes_only_the_app_token(sm_workspace):
    api = AsyncWebClient(base_url=sm_workspace.api_url)
    url = (await api.apps_connections_open(app_token=APP_TOKEN))["url"]
    assert url.startswith(sm_workspace.url.replace("http://", "ws://") + "/socket-mode/")
    assert await api_error(api.apps_connections_open(app_token="xapp-1-wrong")) == "invalid_auth"
    assert await api_error(api.apps_connections_open(app_token=TOKEN)) == "not_allowed_token_type"
    assert await api_error(api.apps_connections_open(app_token="garbage")) == "invalid_auth"
    assert await api_error(api.api_call("apps.connections.open")) == "not_authed"
    app_api = AsyncWebClient(token=APP_TOKEN, base_url=sm_workspace.api_url)
    assert await api_error(app_api.chat_postMessage(channel="C0OPS", text="x")) == \
        "not_allowed_token_type"


async def test_ticket_is_single_use_and_hello_describes_the_connection(sm_workspace):
    api = AsyncWebClient(base_url=sm_workspace.api_url)
    url = (await api.apps_connections_open(app_token=APP_TOKEN))["url"]
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url, autoping=False) as sock:
            hello = json.loads((await sock.receive(timeout=2)).data)
            assert hello["type"] == "hello" and hello["num_connections"] == 1
            assert hello["connection_info"] == {"app_id": "A0OPSBOT"}
            assert {"host", "build_number", "approximate_connection_time"} <= \
                set(hello["debug_info"])
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await http.ws_connect(url)
            assert info.value.status == 401
            await sock.ping(b"sdk-ping-pong:1")  # Slack answers pings with the same data
            pong = await sock.receive(timeout=2)
            assert pong.type == aiohttp.WSMsgType.PONG and pong.data == b"sdk-ping-pong:1"


@pytest.mark.parametrize("sm_workspace", [{"socket_ping_interval": 0.2}], indirect=True)
async def test_workspace_pings_its_connections(sm_workspace):
    url = sm_workspace.socket_mode.open_url()["url"]
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url, autoping=False) as sock:
            kinds = [(await sock.receive(timeout=2)).type for _ in range(2)]
            assert kinds == [aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.PING]


async def test_slash_command_envelope_and_ack_payload_shown_like_http(sm_workspace):
    answer = lambda req: {"response_type": "in_channel", "text": f"echo {req.payload['text']}"}
    async with Recorder(sm_workspace, answer) as bot:
        await sm_workspace.wait_for_connections(1)
        result = await sm_workspace.send_slash_command("alice", "#ops", "deploy api")
        assert bot.messages[0]["type"] == "hello"  # always the first thing on a connection
        req = bot.requests[0]
        assert req.type == "slash_commands" and req.accepts_response_payload is True
        assert req.payload["command"] == "/ops" and req.payload["text"] == "deploy api"
        assert req.payload["user_id"] == "U0ALICE" and req.payload["response_url"].startswith(
            sm_workspace.url + "/response/")
        assert result.error is None and result.connection == "conn-1"
        assert [m["text"] for m in sm_workspace.messages("ops")] == ["/ops deploy api",
                                                                      "echo deploy api"]


@pytest.mark.parametrize("sm_workspace", [{"request_timeout": 0.4}], indirect=True)
async def test_unacked_slash_command_times_out_without_retry(sm_workspace):
    async with Recorder(sm_workspace, ack_when=lambda req: False) as bot:
        await sm_workspace.wait_for_connections(1)
        result = await sm_workspace.send_slash_command("bob", "ops", "help")
        assert result.error == "operation_timeout"
        assert "failed with the error \"operation_timeout\"" in \
            sm_workspace.last_ephemeral("bob")["text"]
        await asyncio.sleep(0.3)
        assert len(bot.requests) == 1


async def test_envelopes_spread_across_connections_each_to_exactly_one(sm_workspace):
    answer = lambda req: {"text": f"ok {req.payload['text']}"}
    async with Recorder(sm_workspace, answer) as one, Recorder(sm_workspace, answer) as two:
        await sm_workspace.wait_for_connections(2)
        results = await asyncio.gather(*(sm_workspace.send_slash_command("carol", "ops", f"n{i}")
                                         for i in range(10)))
        assert all(r.error is None for r in results)
        got_one = {r.payload["text"] for r in one.requests}
        got_two = {r.payload["text"] for r in two.requests}
        assert got_one and got_two and not got_one & got_two
        assert got_one | got_two == {f"n{i}" for i in range(10)}
        shown = sorted(m["text"] for m in sm_workspace.ephemerals("carol"))
        assert shown == sorted(f"ok n{i}" for i in range(10))


@pytest.mark.parametrize("sm_workspace", [{"request_timeout": 0.3,
                                           "event_retry_delays": (0.0, 0.0)}], indirect=True)
async def test_events_are_retried_after_a_timeout(sm_workspace):
    async with Recorder(sm_workspace, ack_when=lambda req: req.retry_attempt >= 1) as bot:
        await sm_workspace.wait_for_connections(1)
        result = await sm_workspace.send_event({"type": "app_mention", "user": "U0ALICE",
                                                "text": "<@U0OPSBOT> hi", "channel": "C0OPS"})
        assert result.error is None
        assert [(r.type, r.retry_attempt, r.retry_reason) for r in bot.requests] == [
            ("events_api", 0, ""), ("events_api", 1, "timeout")]
        first = bot.requests[0].payload
        assert first["type"] == "event_callback" and first["event"]["type"] == "app_mention"
        assert bot.requests[1].payload["event_id"] == first["event_id"]


async def test_refresh_requested_moves_the_app_to_a_new_connection(sm_workspace):
    async with Recorder(sm_workspace, lambda req: {"text": "still here"}) as bot:
        await sm_workspace.wait_for_connections(1)
        hub = sm_workspace.socket_mode
        await hub.disconnect("refresh_requested", grace=2.0)
        await sm_workspace.wait_for(lambda: [c.id for c in hub.active] == ["conn-2"])
        # slack_sdk handles `disconnect` itself (it never reaches listeners) by reconnecting,
        # closing the old socket before the workspace's grace period runs out.
        await sm_workspace.wait_for(lambda: [c.id for c in hub.connections] == ["conn-2"])
        result = await sm_workspace.send_slash_command("alice", "ops", "x")
        assert result.connection == "conn-2" and result.text == "still here"
        assert [m["type"] for m in bot.messages] == ["hello", "hello", "slash_commands"]


@pytest.mark.parametrize("sm_workspace", [{"max_socket_connections": 1}], indirect=True)
async def test_too_many_websockets_is_refused(sm_workspace):
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(sm_workspace.socket_mode.open_url()["url"]):
            await sm_workspace.wait_for_connections(1)
            async with http.ws_connect(sm_workspace.socket_mode.open_url()["url"]) as extra:
                message = json.loads((await extra.receive(timeout=2)).data)
                assert message["type"] == "disconnect"
                assert message["reason"] == "too_many_websockets"
                assert (await extra.receive(timeout=2)).type == aiohttp.WSMsgType.CLOSE


@pytest.mark.parametrize("sm_workspace", [{"socket_mode": True}], indirect=True)
async def test_forced_socket_mode_without_connections_fails_like_slack(sm_workspace):
    result = await sm_workspace.send_slash_command("alice", "ops", "help")
    assert result.error == "dispatch_failed"


async def test_bolt_app_in_socket_mode_answers_commands_clicks_and_modals(sm_workspace):
    app, seen = build_app(sm_workspace.api_url, TOKEN, SECRET)
    handler = AsyncSocketModeHandler(app, APP_TOKEN)
    await handler.connect_async()
    try:
        await sm_workspace.wait_for_connections(1)
        await sm_workspace.send_slash_command("alice", "ops", "help")
        shown = sm_workspace.last_ephemeral("alice")
        assert shown["text"].startswith("Opsbot help")
        await sm_workspace.click("alice", "ops", shown["ts"], "help.more")
        await sm_workspace.wait_for(
            lambda: sm_workspace.last_ephemeral("alice")["text"] == "Opsbot help (page 2)")
        await sm_workspace.send_slash_command("bob", "ops", "form")
        await sm_workspace.wait_for(lambda: sm_workspace.open_view("bob"))
        await sm_workspace.submit_view("bob", {"namespace": "billing", "env": "prod"})
        assert sm_workspace.view_errors("bob") == {"namespace": "Unknown namespace billing"}
        await sm_workspace.submit_view("bob", {"namespace": "payments", "env": "prod"})
        assert sm_workspace.open_view("bob") is None
        await sm_workspace.wait_for(
            lambda: sm_workspace.messages("ops")[-1]["text"] == "Requested restart in prod")
    finally:
        await handler.close_async()
    assert [b.get("type", "command") for b in seen] == [
        "command", "block_actions", "command", "view_submission", "view_submission"]


async def test_warning_keeps_the_connection_but_link_disabled_drains_and_closes(sm_workspace):
    hub = sm_workspace.socket_mode
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(hub.open_url()["url"]) as sock:
            await sock.receive(timeout=2)  # hello
            await hub.disconnect("warning")
            warning = json.loads((await sock.receive(timeout=2)).data)
            assert (warning["type"], warning["reason"]) == ("disconnect", "warning")
            assert len(hub.active) == 1
            await hub.disconnect("link_disabled", grace=0.1)
            assert json.loads((await sock.receive(timeout=2)).data)["reason"] == "link_disabled"
            assert hub.active == []  # nothing new is sent while it is going away
            assert (await sock.receive(timeout=2)).type == aiohttp.WSMsgType.CLOSE
    with pytest.raises(ValueError):
        await hub.disconnect("bored")
