"""Fixtures that run the bot beside the local workspace over real HTTP."""

from __future__ import annotations

from typing import AsyncIterator

import pytest

from bot.stack import LocalStack, start_local_stack
from engine.config import OpsbotConfig
from engine.settings import EngineSettings


@pytest.fixture
async def stack(tmp_path) -> AsyncIterator[LocalStack]:
    """A bot on a fresh SQLite database, wired to a fresh workspace."""
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    running = await start_local_stack(settings, OpsbotConfig())
    yield running
    await running.stop()
