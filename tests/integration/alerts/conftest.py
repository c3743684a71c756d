"""Fixtures for alert store tests: register the alert tables and build an ingest."""

from __future__ import annotations

from datetime import datetime, timezone


import pytest

from tests.servers import start_alertmanager  # noqa: F401 - re-exported for tests here
import engine.alerts.tables  # noqa: F401 - registers alerts_* tables before create_all
import engine.core.outbox_tables  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.alerts.config import AlertsConfig
from engine.alerts.ingest import AlertIngest
from engine.core.clock import FakeClock
from engine.core.outbox import emit

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

    async def flaky_emit(session, notice, now):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("notifier table unavailable")
        await emit(session, notice, now)

    return flaky_emit


@pytest.fixture
def ingest(db, cfg, clock) -> AlertIngest:
    """An ingest on the parametrized database (SQLite and PostgreSQL)."""
    return AlertIngest(db, cfg, clock, emit)
