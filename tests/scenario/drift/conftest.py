"""A local stack with the drift family attached (whether or not the lead has wired it yet)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import AsyncIterator

import pytest
from sqlmodel import SQLModel

import engine.drift.tables  # noqa: F401 - registers the drift tables for create_all below
from bot.listeners import drift as drift_listener
from bot.stack import LocalStack, start_local_stack
from engine.config import OpsbotConfig
from engine.drift.config import DriftConfig
from engine.lab.drift.demo import demo_model, write_demo_data
from engine.drift.wiring import schedule
from engine.settings import EngineSettings


def drift_config(folder: Path, now: datetime) -> DriftConfig:
    """Return a config with the drifted demo churn model and a model whose current file is broken."""
    ref, cur = write_demo_data(folder, now)
    mixed = folder / "mixed_current.csv"
    # numbers with a word among them: the reader sees a text column where the reference had numbers
    mixed.write_text("tenure_months,income\n" + "".join(f"{i % 30},{40000 + 1000 * (i % 4)}\n" for i in range(60))
                     + "7,unknown\n")
    unreadable = folder / "unreadable_current.parquet"
    unreadable.write_bytes(b"this is not parquet")
    return DriftConfig.model_validate({"models": {
        "churn": demo_model(ref, cur, channel="ml-models", interval=None).model_dump(exclude_none=True),
        "mixed": {"reference": str(ref), "current": str(mixed)},
        "unreadable": {"reference": str(ref), "current": str(unreadable)},
        "renamed": {"reference": str(ref), "current": str(cur), "columns": ["income", "salary"]},
        "stale": {"reference": str(ref), "current": {"path": str(cur), "time_column": "ts", "window": "24h"},
                  "exclude": []},
    }})


async def attach_drift(stack: LocalStack, config: DriftConfig) -> None:
    """Create the drift tables, the service and the listener unless the wiring already did."""
    rt = stack.bot
    await rt.engine.db.run_sync(SQLModel.metadata.create_all)
    service = rt.engine.drift
    for name, spec in config.models.items():
        if name not in service.config.models:  # wired already, with opsbot.yaml's (empty) section
            service.add_model(name, spec)
    schedule(rt.engine.scheduler, service)
    if not any(c.name == "drift" for c in rt.deps.router.commands()):
        drift_listener.register(rt.bolt, rt.deps)


@pytest.fixture
async def drift_stack(tmp_path) -> AsyncIterator[LocalStack]:
    """A bot and workspace on loopback with the drift demo data configured."""
    config = drift_config(tmp_path / "data", datetime.now(timezone.utc))
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    stack = await start_local_stack(settings, OpsbotConfig(channels={"default": "ops", "drift": "ml-models"}))
    await attach_drift(stack, config)
    yield stack
    await stack.stop()
