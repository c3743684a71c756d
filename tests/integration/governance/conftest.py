"""Governance DB fixtures (sqlite_db, pg_db, db); importing the governance tables registers
them with SQLModel.metadata so create_all makes them."""

from __future__ import annotations

from typing import AsyncIterator

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

import engine.audit.tables  # noqa: F401 - registers its tables with SQLModel.metadata
import engine.store.tables  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.store.db import Database

from tests.servers import create_pg_database, drop_pg_database


async def make_db(url: str) -> Database:
    """Open a Database and create every registered table."""
    db = Database(url)
    await db.run_sync(SQLModel.metadata.create_all)
    return db


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
async def sqlite_db(tmp_path) -> AsyncIterator[Database]:
    db = await make_db(f"sqlite:///{tmp_path}/gov.db")
    yield db
    await db.dispose()


@pytest.fixture
def pg_url(gov_pg_url):
    """The session database, emptied."""
    _truncate_all(gov_pg_url)
    return gov_pg_url


@pytest.fixture
async def pg_db(pg_url: str) -> AsyncIterator[Database]:
    db = Database(pg_url)
    yield db
    await db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request, tmp_path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        database = await make_db(f"sqlite:///{tmp_path}/gov.db")
    else:
        url = request.getfixturevalue("gov_pg_url")
        _truncate_all(url)
        database = Database(url)
    yield database
    await database.dispose()
