"""Fixtures for the attack tests: `opsbot serve` started from its environment, on both stores."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable

import pytest

from engine.api import Engine
from engine.config import load_config
from engine.settings import EngineSettings
from engine.wiring import build_engine
from tests.security.served import DEFAULT_CONFIG, ServedBot, bot_env, new_workspace, write_config

StartBot = Callable[..., Awaitable[ServedBot]]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database URL (for attacks that do not depend on the store)."""
    return f"sqlite:///{tmp_path / 'opsbot.db'}"


@pytest.fixture
async def start_bot(tmp_path: Path) -> AsyncIterator[StartBot]:
    """Return `start(db_url, config=..., runbooks=..., **env)` that runs `opsbot serve`."""
    started: list[ServedBot] = []

    async def start(db_url: str, config: str = DEFAULT_CONFIG, runbooks: dict[str, str] | None = None,
                    **env: str) -> ServedBot:
        ws = await new_workspace()
        path = write_config(tmp_path, config, runbooks)
        bot = ServedBot(tmp_path, db_url, ws, bot_env(db_url, path, ws, **env))
        started.append(bot)
        await bot.start()
        return bot

    yield start
    for bot in started:
        await bot.stop()
        await bot.ws.stop()


@pytest.fixture
async def engine_of() -> AsyncIterator[Callable[[ServedBot], Engine]]:
    """Return `engine_of(bot)`: an engine built by engine.wiring.build_engine from the served bot's own
    environment and opsbot.yaml (not started), to read or write its store as another replica would."""
    made: list[Engine] = []

    def build(bot: ServedBot) -> Engine:
        settings = EngineSettings(**bot.env)  # the variables `opsbot serve` was started with
        made.append(build_engine(settings, load_config(settings.config_path)))
        return made[-1]

    yield build
    for eng in made:
        await eng.close()
