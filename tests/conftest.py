"""Session-wide fixtures: databases on SQLite and PostgreSQL, free ports."""

from __future__ import annotations

import os
import socket
import uuid
from typing import AsyncIterator

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from engine.store.db import Database

PG_ADMIN_URL = os.environ.get("OPSBOT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_admin_connect():
    import psycopg2

    url = make_url(PG_ADMIN_URL)
    conn = psycopg2.connect(host=url.host, port=url.port or 5432, user=url.username or "postgres",
                            password=url.password, dbname=url.database or "postgres", connect_timeout=3)
    conn.autocommit = True
    return conn


def create_pg_database() -> str:
    """Create a fresh PostgreSQL database and return its URL."""
    name = f"opsbot_test_{uuid.uuid4().hex[:12]}"
    try:
        conn = _pg_admin_connect()
    except Exception as exc:  # noqa: BLE001 - report why PostgreSQL tests cannot run
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({exc}); `make test` starts one")
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    """Drop a database made by create_pg_database, closing its connections."""
    name = make_url(url).database
    conn = _pg_admin_connect()
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


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
