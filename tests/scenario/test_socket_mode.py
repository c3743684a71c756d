"""The real Opsbot runtime in Socket Mode against the local workspace: one and two replicas."""

from __future__ import annotations

import asyncio
import secrets
from typing import AsyncIterator

import pytest
from pydantic import SecretStr

from bot.runtime import Runtime, build_runtime
from bot.settings import BotSettings
from bot.workspace import RunningWorkspace, WorkspaceConfig, start_workspace
from engine.config import OpsbotConfig
from engine.settings import EngineSettings

APP_TOKEN = "xapp-1-A0OPSBOT-1-" + secrets.token_hex(8)


class SocketStack:
    """A workspace with no request URL and replicas that reach it only over Socket Mode."""

    def __init__(self, workspace: RunningWorkspace, settings: BotSettings,
                 engine_settings: EngineSettings) -> None:
        self.workspace = workspace
        self.settings, self.engine_settings = settings, engine_settings
        self.runtimes: list[Runtime] = []

    async def add_replica(self) -> Runtime:
        """Start one more runtime on the shared database; wait for its websocket."""
        runtime = build_runtime(self.settings.model_copy(), self.engine_settings, OpsbotConfig())
        await runtime.start("127.0.0.1", 0)
        self.runtimes.append(runtime)
        await self.workspace.wait_for_connections(len(self.runtimes))
        return runtime

    async def stop(self) -> None:
        """Stop the replicas, then the workspace."""
        for runtime in reversed(self.runtimes):
            await runtime.stop()
        await self.workspace.stop()


@pytest.fixture
def db_url(request, tmp_path) -> str:
    """The replicas' shared database: SQLite by default, PostgreSQL when parametrized so."""
    if getattr(request, "param", "sqlite") == "postgresql":
        return request.getfixturevalue("pg_url")
    return f"sqlite:///{tmp_path / 'opsbot.db'}"


@pytest.fixture
async def socket_stack(db_url) -> AsyncIterator[SocketStack]:
    """A workspace speaking Socket Mode only, and settings for Opsbot replicas on one database."""
    secret, token = secrets.token_hex(16), "xoxb-local-" + secrets.token_hex(8)
    workspace = await start_workspace(WorkspaceConfig(signing_secret=secret, bot_token=token,
                                                      app_token=APP_TOKEN))
    settings = BotSettings(SLACK_BOT_TOKEN=SecretStr(token), SLACK_SIGNING_SECRET=SecretStr(secret),
                           SLACK_API_URL=workspace.api_url, SLACK_APP_TOKEN=SecretStr(APP_TOKEN))
    engine_settings = EngineSettings(OPSBOT_DATABASE_URL=db_url)
    stack = SocketStack(workspace, settings, engine_settings)
    try:
        yield stack
    finally:
        await stack.stop()


def count_requests(runtime: Runtime, into: list[str]) -> None:
    """Record the text of every slash command this replica's Bolt app handles."""

    async def record(body, next):  # noqa: A002 - Bolt passes the chain as `next`
        into.append(body.get("text", ""))
        await next()

    runtime.bolt.middleware(record)


async def test_help_answers_through_the_websocket(socket_stack):
    runtime = await socket_stack.add_replica()
    ws = socket_stack.workspace
    assert runtime.deps.settings.socket_mode and ws.workspace.config.request_url is None
    answer = await ws.send_slash_command("alice", "ops", "help")
    assert answer.error is None and answer.connection == "conn-1"
    assert "/ops help" in str(answer.json)
    shown = ws.last_ephemeral("alice")
    assert shown is not None and "Opsbot commands" in str(shown["blocks"])
    assert ws.socket_mode.connections[0].acked == 1


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_two_replicas_share_commands_each_answered_once(socket_stack):
    seen: list[list[str]] = [[], []]
    for into in seen:
        count_requests(await socket_stack.add_replica(), into)
    ws = socket_stack.workspace
    words = [f"probe{i}" for i in range(20)]
    answers = await asyncio.gather(*(ws.send_slash_command("bob", "ops", w) for w in words))
    assert all(a.error is None for a in answers)
    # Each command reached exactly one replica, and both replicas took a share.
    assert sorted(seen[0] + seen[1]) == sorted(words)
    assert seen[0] and seen[1]
    assert {a.connection for a in answers} == {c.id for c in ws.socket_mode.connections}
    shown = [m["text"] for m in ws.ephemerals("bob")]
    for word in words:
        assert sum(text.startswith(f"Unknown command {word}.") for text in shown) == 1, word
    assert len(shown) == len(words)


async def test_a_replica_leaving_hands_everything_to_the_other(socket_stack):
    seen: list[list[str]] = [[], []]
    for into in seen:
        count_requests(await socket_stack.add_replica(), into)
    ws = socket_stack.workspace
    leaving = socket_stack.runtimes.pop(0)
    await leaving.stop()
    await ws.wait_for(lambda: len(ws.socket_mode.connections) == 1)
    answers = await asyncio.gather(*(ws.send_slash_command("carol", "ops", f"after{i}")
                                     for i in range(6)))
    assert all(a.error is None for a in answers)
    assert seen[0] == [] and sorted(seen[1]) == sorted(f"after{i}" for i in range(6))
