"""Governance fixtures: database URLs on SQLite and PostgreSQL, and engines built from settings and
an opsbot.yaml by engine.wiring.build_engine, the way `opsbot serve` builds them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Sequence

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

import engine.store.tables  # noqa: F401 - registers every table with SQLModel.metadata
from engine.api import Engine
from engine.core.clock import Clock

from gov_helpers import CountingExecutor, engine_from, write_config
from tests.servers import create_pg_database, drop_pg_database


def _truncate_all(url: str) -> None:
    eng = create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with eng.begin() as c:
        c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    eng.dispose()


@pytest.fixture(scope="session")
def gov_pg_url():
    """One PostgreSQL database for the session (creating one per test costs ~1 s each)."""
    url = create_pg_database()
    eng = create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    SQLModel.metadata.create_all(eng)
    eng.dispose()
    yield url
    drop_pg_database(url)


@pytest.fixture
def pg_url(gov_pg_url):
    """The session database, emptied."""
    _truncate_all(gov_pg_url)
    return gov_pg_url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A fresh SQLite database file URL."""
    return f"sqlite:///{tmp_path / 'gov.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def gov_url(request, tmp_path) -> str:
    """The same test on SQLite and on (the emptied session) PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
async def make_engine(tmp_path: Path, engines) -> AsyncIterator[Callable[..., Any]]:
    """Return an async factory: engine(url, replica=..., clock=..., runbook_dirs=..., lease_s=..., secrets=...,
    env={OPSBOT_PROMETHEUS_URL: ...}) built from settings and a written opsbot.yaml, every table created."""
    made: list[Engine] = []  # numbers each engine's opsbot.yaml

    async def make(url: str, *, replica: str = "r1", clock: Clock | None = None,
                   runbook_dirs: Sequence[Path] = (), lease_s: float = 30.0,
                   secrets: dict[str, str] | None = None, env: dict[str, str] | None = None) -> Engine:
        path = write_config(tmp_path / f"opsbot-{len(made)}.yaml", runbook_dirs=runbook_dirs, lease_s=lease_s,
                            secret_names=sorted(secrets or {}))
        eng = engine_from(url, path, replica=replica, clock=clock, environ={**os.environ, **(secrets or {})},
                          env=env)
        made.append(eng)
        return await engines(eng)

    yield make


@pytest.fixture
def counted(make_engine, gov_url) -> Callable[..., Any]:
    """Return an async factory: (engine, CountingExecutor) on `gov_url`, the executor registered for
    the `test` action kind on the built engine's approvals (one per replica, like runbooks)."""

    async def make(**kw: Any) -> tuple[Engine, CountingExecutor]:
        eng = await make_engine(gov_url, **kw)
        executor = CountingExecutor()
        eng.approvals.register(executor)
        return eng, executor

    return make
