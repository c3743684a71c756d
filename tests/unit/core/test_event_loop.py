"""`opsbot serve`'s event loop choice (bot/event_loop.py)."""

from __future__ import annotations

import asyncio

import pytest

from bot.event_loop import run
from bot.settings import BotSettings


async def _loop_module() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


def test_uvloop_runs_the_coroutine_on_its_loop() -> None:
    pytest.importorskip("uvloop")
    assert run(_loop_module(), "uvloop").startswith("uvloop")


def test_asyncio_runs_on_pythons_own_loop() -> None:
    assert run(_loop_module(), "asyncio").startswith("asyncio")


def test_an_unknown_loop_is_refused_by_name() -> None:
    coro = _loop_module()
    with pytest.raises(ValueError, match="unknown event loop 'trio'"):
        run(coro, "trio")
    coro.close()


def test_the_setting_defaults_to_uvloop_and_takes_asyncio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSBOT_EVENT_LOOP", raising=False)
    assert BotSettings().event_loop == "uvloop"
    monkeypatch.setenv("OPSBOT_EVENT_LOOP", "asyncio")
    assert BotSettings().event_loop == "asyncio"
