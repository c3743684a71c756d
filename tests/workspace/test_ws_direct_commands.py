"""Slash commands over HTTP skip Bolt's dispatch once the bot token passed auth.test, and answer
exactly as Bolt would: same status, headers and body, same errors, metrics and request ids.

These are the parity tests of bot/server.py's direct path; they were verified with the Bolt
version in VERIFIED_BOLT, and test_bolt_is_the_verified_version fails on an upgrade until
someone re-runs them and bumps it."""

from __future__ import annotations

import asyncio
import json
import re
from typing import AsyncIterator
from urllib.parse import urlencode

import ast
from pathlib import Path

import aiohttp
import pytest
import slack_bolt.version
from aiohttp import web
from slack_bolt.request.async_request import AsyncBoltRequest

import bot.app
from bot.commands import CommandContext, Subcommand
from bot.logs import request_id
from bot.server import SLACK_ENDPOINT, build_web_app
from bot.stack import LocalStack, start_local_stack
from bot.workspace import signed_headers
from engine.config import OpsbotConfig
from engine.settings import EngineSettings

FORM = "application/x-www-form-urlencoded"
VERIFIED_BOLT = "1.30"  # major.minor the parity tests below were last verified with


@pytest.fixture
async def stack(tmp_path) -> AsyncIterator[LocalStack]:
    """The real bot (SQLite, no background jobs) beside a fresh workspace."""
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    running = await start_local_stack(settings, OpsbotConfig(), background=False)
    yield running
    await running.stop()


@pytest.fixture
async def response_urls() -> AsyncIterator[tuple[str, list[dict]]]:
    """A response_url receiver: (base URL, bodies posted to it)."""
    posted: list[dict] = []

    async def receive(request: web.Request) -> web.Response:
        posted.append(await request.json())
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook/{n}", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook", posted
    await runner.cleanup()


def command_body(text: str, command: str = "/ops", response_url: str = "http://127.0.0.1:9/unused") -> bytes:
    return urlencode({"command": command, "text": text, "user_id": "U0ALICE", "user_name": "alice",
                      "channel_id": "C0OPS", "team_id": "T0LOCAL", "trigger_id": "1.2.3",
                      "response_url": response_url, "api_app_id": "A0OPSBOT"}).encode()


async def post(base_url: str, stack: LocalStack, body: bytes) -> tuple[int, str, str]:
    """POST a signed body to /slack/events; return (status, content type, text)."""
    secret = stack.bot.deps.settings.slack_signing_secret.get_secret_value()
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base_url}/slack/events", data=body,
                             headers={"Content-Type": FORM, **signed_headers(secret, body)}) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), await resp.text()


async def through_bolt(stack: LocalStack, body: bytes) -> tuple[int, str, str]:
    """What Bolt's own dispatch answers for the same body (as Socket Mode uses it)."""
    resp = await stack.bot.bolt.async_dispatch(AsyncBoltRequest(body=body.decode(), headers={"content-type": FORM}))
    return resp.status, resp.headers.get("content-type", [""])[0], resp.body


def test_bolt_is_the_verified_version():
    installed = ".".join(slack_bolt.version.__version__.split(".")[:2])
    assert installed == VERIFIED_BOLT, (
        f"slack-bolt {slack_bolt.version.__version__} is installed; the direct command path in "
        f"bot/server.py was verified with {VERIFIED_BOLT}. Run this file's parity tests, then bump VERIFIED_BOLT.")


def test_bot_adds_no_bolt_middleware():
    """The direct path skips Bolt's middleware chain, which is only Bolt's own while this holds."""
    root = Path(__file__).resolve().parents[2] / "bot"
    found = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr in ("middleware", "use")
                    and ast.unparse(node.value) != "web"):  # aiohttp's web.middleware is not Bolt's
                found.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    assert not found, f"Bolt middleware added at {found}: route commands through Bolt or run it in the direct path"


async def test_commands_run_directly_once_the_token_passed_auth_test(stack):
    endpoint = stack.bot.web_app[SLACK_ENDPOINT]
    assert not endpoint.dispatches_directly()  # auth.test has not been asked yet
    first = await stack.workspace.send_slash_command("alice", "ops", "help")
    assert first.status == 200 and "Opsbot commands" in str(first.json)
    assert endpoint.dispatches_directly()
    again = await stack.workspace.send_slash_command("alice", "ops", "help")
    assert again.status == 200 and again.json == first.json
    assert again.body == first.body  # the encoded help is reused byte for byte


@pytest.mark.parametrize("text", ["help", "help drift", "?", "", "hlep", 'help "oops', "help nosuchfamily"])
async def test_direct_answers_equal_bolts(stack, text):
    await stack.workspace.send_slash_command("alice", "ops", "help")  # auth.test passes: direct from now on
    assert stack.bot.web_app[SLACK_ENDPOINT].dispatches_directly()
    body = command_body(text)
    status, ctype, direct = await post(stack.bot.url, stack, body)
    bolt_status, bolt_ctype, via_bolt = await through_bolt(stack, body)
    assert (status, json.loads(direct)) == (bolt_status, json.loads(via_bolt))
    assert ctype.split(";")[0] == bolt_ctype.split(";")[0] == "application/json"
    assert json.loads(direct).get("response_type") == "ephemeral"


async def test_direct_commands_are_counted_and_carry_request_ids(stack):
    seen: list[str] = []

    async def probe(ctx: CommandContext):
        seen.append(request_id.get())
        return {"text": "probed", "response_type": "ephemeral"}

    stack.bot.deps.router.add(Subcommand(name="probe", summary="test", usage="probe", example="/ops probe",
                                         handler=probe, instant=True))
    for _ in range(3):
        answer = await stack.workspace.send_slash_command("alice", "ops", "probe")
        assert answer.json == {"text": "probed", "response_type": "ephemeral"}
    assert len(set(seen)) == 3 and all(re.fullmatch(r"[0-9a-f]{12}", rid) for rid in seen)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{stack.bot.url}/metrics") as resp:
            metrics = await resp.text()
    assert 'opsbot_requests_total{kind="command"} 3.0' in metrics
    assert 'opsbot_ack_latency_seconds_count{kind="command"} 3.0' in metrics


async def test_handler_errors_get_the_error_reply_with_a_correlation_id(stack):
    async def broken(ctx: CommandContext):
        raise RuntimeError("boom")

    stack.bot.deps.router.add(Subcommand(name="broken", summary="test", usage="broken", example="/ops broken",
                                         handler=broken))
    await stack.workspace.send_slash_command("alice", "ops", "help")
    status, _, text = await post(stack.bot.url, stack, command_body("broken"))
    assert status == 200 and re.search(r"[0-9a-f]{10}", json.loads(text)["text"])
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{stack.bot.url}/metrics") as resp:
            assert 'opsbot_errors_total{code="unexpected"} 1.0' in await resp.text()


async def test_slow_handler_acks_at_once_and_answers_through_response_url(stack, monkeypatch):
    monkeypatch.setattr(bot.app, "INLINE_BUDGET_S", 0.05)
    release = asyncio.Event()

    async def slow(ctx: CommandContext):
        await release.wait()
        if ctx.args:
            raise RuntimeError("failed late")
        return {"text": "finally done", "response_type": "ephemeral"}

    stack.bot.deps.router.add(Subcommand(name="slow", summary="test", usage="slow", example="/ops slow",
                                         handler=slow))
    await stack.workspace.send_slash_command("alice", "ops", "help")
    answer = await stack.workspace.send_slash_command("alice", "ops", "slow")
    assert answer.status == 200 and "Working on /ops slow" in answer.json["text"]
    failing = await stack.workspace.send_slash_command("alice", "ops", "slow please")
    assert failing.status == 200 and "Working on /ops slow" in failing.json["text"]
    release.set()
    texts: list[str] = []
    for _ in range(100):
        texts = [m.get("text", "") for m in stack.workspace.ephemerals("alice")]
        if "finally done" in texts and any("correlation id" in t for t in texts):
            break
        await asyncio.sleep(0.05)
    assert "finally done" in texts
    assert any("correlation id" in t for t in texts), texts


async def test_a_listener_that_raises_gets_bolts_500_and_the_error_handler(stack, response_urls):
    """An error escaping the listener itself (not the subcommand) is handled as Bolt does."""
    hook, posted = response_urls

    async def boom(ack, body, respond, client):
        raise RuntimeError("listener exploded")

    stack.bot.bolt.command("/boom")(bot.app._bolt_listener(boom))
    web_app = build_web_app(stack.bot.bolt, stack.bot.deps, commands={"/boom": boom, "/ops": bot.app.direct_commands(
        stack.bot.deps)["/ops"]})
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        await post(url, stack, command_body("help"))  # asks auth.test once
        assert web_app[SLACK_ENDPOINT].dispatches_directly()
        direct = await post(url, stack, command_body("", "/boom", f"{hook}/1"))
        via_bolt = await through_bolt(stack, command_body("", "/boom", f"{hook}/2"))
        assert direct[0] == via_bolt[0] == 500
        assert direct[2] == via_bolt[2] == ""
        for _ in range(100):
            if len(posted) == 2:
                break
            await asyncio.sleep(0.05)
        assert len(posted) == 2
        for reply in posted:
            assert reply["response_type"] == "ephemeral" and re.search(r"[0-9a-f]{10}", reply["text"])
    finally:
        await runner.cleanup()
