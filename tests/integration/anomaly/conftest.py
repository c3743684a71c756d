"""An engine with metric watches on a fresh database and a fake clock."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest
import engine.store.tables  # noqa: F401 - every table, for create_all
from engine.api import Engine
from engine.core.clock import FakeClock
from engine.config import OpsbotConfig
from engine.settings import EngineSettings
from engine.wiring import build_engine

START = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
async def make_engine(store_url, engines) -> AsyncIterator[Callable[..., Any]]:
    """Return an async factory: engine(watches, clock=..., prometheus_url=...) on one database,
    SQLite or PostgreSQL."""

    async def make(watches: list[dict], clock: FakeClock | None = None, prometheus_url: str | None = None,
                   alerts: dict | None = None) -> Engine:
        settings = EngineSettings(OPSBOT_DATABASE_URL=store_url,
                                  OPSBOT_PROMETHEUS_URL=prometheus_url)
        config = OpsbotConfig.model_validate({"watches": watches, "alerts": alerts or {}})
        return await engines(build_engine(settings, config, clock=clock or FakeClock(START)))

    yield make  # `engines` closes them before `store_url` drops the PostgreSQL database


def write_csv(path: Path, t, v) -> Path:
    """Write epoch,value rows."""
    path.write_text("timestamp,value\n" + "".join(f"{a:.0f},{b}\n" for a, b in zip(t, v)))
    return path
