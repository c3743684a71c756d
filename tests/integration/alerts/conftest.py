"""Fixtures for alert store tests: register the alert tables, build an ingest, and build engines
from settings the way `opsbot serve` does."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, AsyncIterator, Callable

import pytest
from sqlmodel import SQLModel

from tests.servers import start_alertmanager  # noqa: F401 - re-exported for tests here
import engine.alerts.tables  # noqa: F401 - registers alerts_* tables before create_all
import engine.core.outbox_tables  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.alerts.config import AlertsConfig
import engine.store.tables  # noqa: F401 - every table, for create_all
from engine.alerts.ingest import AlertIngest
from engine.api import Engine
from engine.config import OpsbotConfig
from engine.core.clock import Clock, FakeClock
from engine.core.outbox import emit_many
from engine.settings import EngineSettings
from engine.wiring import build_engine

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at a fixed start."""
    return FakeClock(T0)


@pytest.fixture
def cfg() -> AlertsConfig:
    """A config with a small dependency graph and one inhibit rule."""
    return AlertsConfig.model_validate({
        "depends_on": {"checkout": ["payments"], "payments": ["db"]},
        "inhibit": [{"name": "cluster-down", "source_match": {"alertname": "ClusterDown"},
                     "target_match": {"severity": "warning"}, "equal": ["cluster"]}],
        "routes": [{"match": {"severity": "critical"}, "channel": "#incidents"}],
    })


@pytest.fixture
def emit_failing_once():
    """The outbox write, failing the first time it is called (a processing failure mid-batch)."""
    calls = {"n": 0}

    async def flaky_emit(session, notices, now):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("notifier table unavailable")
        await emit_many(session, notices, now)

    return flaky_emit


@pytest.fixture
def ingest(db, cfg, clock) -> AlertIngest:
    """An ingest on the parametrized database (SQLite and PostgreSQL)."""
    return AlertIngest(db, cfg, clock, emit_many)


async def built_engine(url: str, config: OpsbotConfig | dict, clock: Clock | None = None, **env: Any) -> Engine:
    """Build an engine from settings on `url` (as `opsbot serve` does) and create every table."""
    settings = EngineSettings(OPSBOT_DATABASE_URL=url, **env)
    eng = build_engine(settings, config if isinstance(config, OpsbotConfig) else OpsbotConfig.model_validate(config),
                       clock=clock)
    await eng.db.run_sync(SQLModel.metadata.create_all)
    return eng


@pytest.fixture
async def make_engine(store_url, cfg, clock) -> AsyncIterator[Callable[..., Any]]:
    """Return an async factory: engine(alerts=cfg, clock=clock, **config/settings) on one database,
    SQLite or PostgreSQL; a second call is a second replica on the same store."""
    made: list[Engine] = []

    async def make(alerts: Any = None, *, clock: Clock = clock, env: dict | None = None, **config: Any) -> Engine:
        eng = await built_engine(store_url, OpsbotConfig.model_validate(
            {"alerts": alerts if alerts is not None else cfg, **config}), clock, **(env or {}))
        made.append(eng)
        return eng

    yield make
    for eng in made:
        await eng.close()


@pytest.fixture
async def engine(make_engine) -> Engine:
    """An engine built from settings with the folder's alert config and fake clock."""
    return await make_engine()
