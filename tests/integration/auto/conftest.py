"""Engines built from settings the way `opsbot serve` builds them, with runbook triggers, on SQLite
or PostgreSQL, and a real Prometheus for verify steps."""

from __future__ import annotations

from typing import Any, AsyncIterator, Callable

import pytest

import engine.store.tables  # noqa: F401 - every table, for create_all
from auto_helpers import CONFIG
from engine.api import Engine
from engine.config import load_config
from engine.settings import EngineSettings
from engine.wiring import build_engine
from tests.servers import create_pg_database, drop_pg_database, start_prometheus


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    """A real Prometheus on a free loopback port (verify steps query it)."""
    tmp = tmp_path_factory.mktemp("prom")
    proc, url = start_prometheus(tmp)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def db_url(store_url) -> str:
    """One database URL per test: SQLite or a fresh PostgreSQL database (the shared `store_url`)."""
    return store_url


@pytest.fixture
def fresh_pg() -> Any:
    """A fresh PostgreSQL database shared by two replicas."""
    url = create_pg_database()
    yield url
    drop_pg_database(url)


@pytest.fixture
async def make_engine(tmp_path, prometheus, engines) -> AsyncIterator[Callable[..., Any]]:
    """Return an async factory: engine(db_url, runbook_text, replica=...) built from settings."""

    async def make(url: str, runbook: str, replica: str = "a", max_runs: int = 3) -> Engine:
        (tmp_path / "rb").mkdir(exist_ok=True)
        (tmp_path / "rb" / "restart-api.yaml").write_text(runbook)
        (tmp_path / "opsbot.yaml").write_text(CONFIG.format(max_runs=max_runs))
        settings = EngineSettings(OPSBOT_DATABASE_URL=url, OPSBOT_PROMETHEUS_URL=prometheus,
                                  OPSBOT_REPLICA_ID=replica, OPSBOT_CONFIG=str(tmp_path / "opsbot.yaml"))
        return await engines(build_engine(settings, load_config(settings.config_path)))

    yield make
