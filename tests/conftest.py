"""Session-wide fixtures: databases on SQLite and PostgreSQL, free ports."""

from __future__ import annotations

import os
from typing import Any, AsyncIterator, Awaitable, Callable

import pytest
from sqlmodel import SQLModel

from engine.adapters.mlflow_registry import http_environment
from engine.store.db import Database
from tests.servers import create_pg_database, drop_pg_database, free_port, start_alertmanager  # noqa: F401 - shared helpers

# Tests build MlflowRegistry directly: give MLflow the HTTP limits `opsbot serve` gives it.
for _name, _value in http_environment(30.0).items():
    os.environ.setdefault(_name, _value)


# Folders whose tests share one package-scoped fixture (the journeys' `opsbot demo`): one xdist worker each.
XDIST_PACKAGES = ("tests/journeys/",)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With pytest-xdist's `--dist loadfile` (as `make test` runs it), keep each module on one worker and
    each of XDIST_PACKAGES on one worker, so module and package server fixtures start once, as serially.

    (pytest 9 ignores the nodeid suffix `--dist loadgroup` relies on, so groups are made here.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByModuleAndPackage(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return next((p for p in XDIST_PACKAGES if path.startswith(p)), path)

    return ByModuleAndPackage(config, log)


async def _make_db(url: str) -> Database:
    import engine.store.tables  # noqa: F401 - registers every table with SQLModel.metadata

    db = Database(url)
    await db.run_sync(SQLModel.metadata.create_all)
    return db


@pytest.fixture
async def sqlite_db(tmp_path) -> AsyncIterator[Database]:
    """A fresh SQLite database file with every table created."""
    db = await _make_db(f"sqlite:///{tmp_path / 'opsbot.db'}")
    yield db
    await db.dispose()


@pytest.fixture
def pg_url() -> str:
    """The URL of a fresh, empty PostgreSQL database (dropped afterwards)."""
    url = create_pg_database()
    yield url
    drop_pg_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """An empty database URL on SQLite and on PostgreSQL (for processes that migrate it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'opsbot.db'}"
    else:
        url = create_pg_database()
        yield url
        drop_pg_database(url)


@pytest.fixture
async def lease_db(pg_url) -> AsyncIterator[Database]:
    """A fresh PostgreSQL database with the lease table only."""
    from engine.core.leases import Lease

    db = Database(pg_url)
    await db.run_sync(lambda conn: Lease.__table__.create(conn))
    yield db
    await db.dispose()


@pytest.fixture
async def pg_db(pg_url) -> AsyncIterator[Database]:
    """A fresh PostgreSQL database with every table created."""
    db = await _make_db(pg_url)
    yield db
    await db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request, tmp_path) -> AsyncIterator[Database]:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        database = await _make_db(f"sqlite:///{tmp_path / 'opsbot.db'}")
        yield database
        await database.dispose()
    else:
        url = create_pg_database()
        database = await _make_db(url)
        yield database
        await database.dispose()
        drop_pg_database(url)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture
async def browser_page():
    """A headless Chromium page (Debian's chromium); fails the test on any JavaScript error."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent (Debian package 'chromium'; `make test` installs it)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(10000)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            yield page
            assert errors == [], f"JavaScript errors on the page: {errors}"
        finally:
            await browser.close()


@pytest.fixture(autouse=True)
def _restore_environment():
    """Put os.environ back after each test: MLflow's set_tracking_uri writes to it, and
    EngineSettings would then see an MLflow server in every later test."""
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
async def engines() -> AsyncIterator[Callable[[Any], Awaitable[Any]]]:
    """Return `keep(engine)`: create every table of an engine built by build_engine, and close it
    when the test ends (each folder's `make_engine` factory builds from its own settings)."""
    made: list[Any] = []

    async def keep(eng: Any) -> Any:
        await eng.db.run_sync(SQLModel.metadata.create_all)
        made.append(eng)
        return eng

    yield keep
    for eng in made:
        await eng.close()


@pytest.fixture
def alertmanager(tmp_path):
    """A real Alertmanager on loopback without a webhook receiver; yields its base URL."""
    proc, url = start_alertmanager(tmp_path)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
