"""`opsbot demo`: the bot beside a local Slack workspace, seeded with every feature."""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
import webbrowser
from pathlib import Path
from typing import Awaitable, Callable

from bot.logs import setup_logging
from bot.stack import LocalStack, start_local_stack
from engine.config import OpsbotConfig
from engine.settings import EngineSettings

log = logging.getLogger("opsbot.demo")

DEMO_DIR = Path(".opsbot/demo")
Seeder = Callable[[LocalStack, Path], Awaitable[str | None]]


def demo_config(data_dir: Path) -> OpsbotConfig:
    """Return the demo's opsbot.yaml equivalent."""
    return OpsbotConfig.model_validate({
        "environment": "production",
        "channels": {"default": "ops", "incidents": "incidents", "models": "ml-models",
                     "approvals": "ops", "drift": "ml-models"},
    })


def seeders() -> list[tuple[str, Seeder]]:
    """Return each feature's demo seeding step, in the order they run."""
    return []


async def run_demo(port: int = 8900, open_browser: bool = True, data_dir: Path = DEMO_DIR,
                   stop: asyncio.Event | None = None) -> int:
    """Start the demo, seed it, print the URL, and run until interrupted."""
    setup_logging("WARNING")
    if data_dir.exists():
        shutil.rmtree(data_dir)  # every demo starts from the same story
    data_dir.mkdir(parents=True)
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{data_dir / 'opsbot.db'}")
    stack = await start_local_stack(settings, demo_config(data_dir), ws_port=port)
    try:
        for name, seed in seeders():
            try:
                note = await seed(stack, data_dir)
                print(f"  seeded {name}" + (f": {note}" if note else ""), flush=True)
            except Exception as exc:  # one broken seed must not take the whole shop window down
                log.exception("demo seed failed", extra={"seed": name})
                print(f"  could not seed {name}: {exc}", flush=True)
        url = stack.workspace.url
        print(f"\nOpsbot demo is running. Open {url} and type `/ops help` in #ops.\n"
              f"Act as alice, bob or carol with the user picker. Ctrl-C stops it.", flush=True)
        if open_browser:
            webbrowser.open(url)
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                pass
        await stop.wait()
    finally:
        await stack.stop()
    return 0
