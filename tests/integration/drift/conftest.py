"""Engines built from settings the way `opsbot serve` builds them, with drift checks configured,
on SQLite or PostgreSQL, and optionally a real MLflow registry."""

from __future__ import annotations

from typing import Any, AsyncIterator, Callable

import pytest

import engine.store.tables  # noqa: F401 - every table, for create_all
from engine.api import Engine
from engine.config import OpsbotConfig
from engine.core.clock import Clock
from engine.drift.config import DriftConfig
from engine.settings import EngineSettings
from engine.wiring import build_engine


@pytest.fixture
def db_url(store_url) -> str:
    """One database URL per test: SQLite or a fresh PostgreSQL database (the shared `store_url`)."""
    return store_url


@pytest.fixture
async def make_engine(engines) -> AsyncIterator[Callable[..., Any]]:
    """Return an async factory: engine(db_url, drift_config, clock, mlflow=uri) built from settings.

    With `mlflow`, MLFLOW_TRACKING_URI names the registry, as in a deployment, and the model
    service comes from build_engine too."""

    async def make(url: str, drift: DriftConfig, clock: Clock, *, mlflow: str | None = None) -> Engine:
        settings = EngineSettings(OPSBOT_DATABASE_URL=url, **({"MLFLOW_TRACKING_URI": mlflow} if mlflow else {}))
        config = OpsbotConfig.model_validate({"drift": drift, **({"models": {"timeout_seconds": 30}} if mlflow else {})})
        return await engines(build_engine(settings, config, clock=clock))

    yield make
