"""Fixtures: a running workspace and a tiny Bolt bot wired to it over loopback HTTP."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bot.workspace import WorkspaceConfig, start_workspace

sys.path.insert(0, str(Path(__file__).parent))

from tinybot import SECRET, TOKEN, build_app, serve


def make_config(**overrides) -> WorkspaceConfig:
    """Return a workspace config with test credentials and relaxed defaults."""
    return WorkspaceConfig(signing_secret=SECRET, bot_token=TOKEN, **overrides)


@pytest.fixture
async def workspace():
    running = await start_workspace(make_config())
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def bot(workspace):
    """Start the tiny Bolt bot and point the workspace at it; yield its seen payloads."""
    app, seen = build_app(workspace.api_url, TOKEN, SECRET)
    runner, url = await serve(app)
    workspace.set_request_url(url)
    try:
        yield seen
    finally:
        await runner.cleanup()


class FakeClock:
    """A settable clock for expiry and rate-limit tests."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
async def clocked():
    """A workspace on a fake clock with a strict rate limit (1/s, burst 3)."""
    clock = FakeClock()
    running = await start_workspace(make_config(clock=clock))
    running.clock = clock
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def client(workspace):
    """An AsyncWebClient pointed at the workspace, as a bot would build it."""
    from slack_sdk.web.async_client import AsyncWebClient

    return AsyncWebClient(token=TOKEN, base_url=workspace.api_url)


@pytest.fixture
async def http():
    import aiohttp

    async with aiohttp.ClientSession() as session:
        yield session
