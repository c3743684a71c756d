"""Model-lifecycle fixtures: a service on the in-memory registry twin over a real database, and an
engine built from settings (MLFLOW_TRACKING_URI, opsbot.yaml) for the tests on a real MLflow."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest
import yaml
from sqlmodel import select

import engine.approvals.tables  # noqa: F401 - registers tables before the db fixture creates them
import engine.audit.tables  # noqa: F401 - registers its tables with SQLModel.metadata
import engine.models.tables  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.actor import Actor
from engine.api import Engine
from engine.config import load_config
from engine.adapters.memory_registry import MemoryRegistry
from engine.approvals import Approvals
from engine.audit import AuditLog
from engine.core.clock import Clock, SystemClock
from engine.models.config import ModelsConfig
from engine.models.service import ModelService
from engine.core.outbox_tables import OutboxItem
from engine.policy import PolicyConfig
from engine.settings import EngineSettings
from engine.store.db import Database
from engine.wiring import build_engine

ALICE, BOB, LEAD, VIC = Actor("U_A", "alice"), Actor("U_B", "bob"), Actor("U_L", "lee"), Actor("U_V", "vic")

POLICY_YAML: dict[str, Any] = {
    "roles": {"ml": {"users": ["U_A", "U_B"]}, "lead": {"users": ["U_L"]}, "viewer": {"users": ["U_V"]}},
    "rules": [
        {"action": "model:promote", "env": "production", "roles": ["ml"], "effect": "approval",
         "approval": {"approver_roles": ["ml", "lead"], "approvals": 1}},
        {"action": "model:promote", "env": "*", "roles": ["lead"], "effect": "allow"},
        {"action": "model:promote", "env": "staging", "roles": ["ml"], "effect": "allow"},
        {"action": "model:rollback", "env": "*", "roles": ["ml", "lead"], "effect": "allow"},
        {"action": "model:override_gates", "env": "*", "roles": ["lead"], "effect": "allow"},
    ],
}
POLICY = PolicyConfig.model_validate(POLICY_YAML)

# The `models` section of opsbot.yaml (MLFLOW_TRACKING_URI names the server).
MODELS_YAML: dict[str, Any] = {
    "defaults": {"gates": {"champion": ["auc >= champion.auc - 0.002",
                                        "latency_p95_ms <= 1.1 * champion.latency_p95_ms",
                                        "validation_status == passed"]},
                 "key_metrics": ["auc", "latency_p95_ms"], "channel": "ml-models"},
    "models": {"staging-*": {"env": "staging"}, "frozen": {"freeze": ["sat-sun"]}},
}
CONFIG = ModelsConfig.model_validate(MODELS_YAML)

GOOD = {"auc": 0.90, "latency_p95_ms": 40.0}
BETTER = {"auc": 0.92, "latency_p95_ms": 41.0}
WORSE = {"auc": 0.85, "latency_p95_ms": 39.0}
PASSED = {"validation_status": "passed"}


def seed(reg: MemoryRegistry, name: str) -> None:
    """Register three versions: v1 good, v2 better, v3 worse (fails the auc gate)."""
    reg.create_version(name, GOOD, PASSED)
    reg.create_version(name, BETTER, PASSED)
    reg.create_version(name, WORSE, PASSED)


def engine_on_twin(db_url: str, registry: MemoryRegistry, folder: Path, clock: Clock | None = None,
                   config: ModelsConfig = CONFIG, policy: dict | None = None) -> Engine:
    """Build the engine by engine.wiring.build_engine from EngineSettings and an opsbot.yaml carrying the
    policy, with the `models` section given and the in-memory twin as the registry port's adapter.

    The twin's contract tests hold it to MLflow's behaviour; these tests need registry states (pending
    or failed registrations, lost replies, refused writes, exactly the models seeded) a real MLflow
    cannot be put in. The tests on a real MLflow use `mlflow_engine` below."""
    path = folder / f"opsbot-{uuid.uuid4().hex[:8]}.yaml"
    rules = PolicyConfig.model_validate(policy).model_dump(mode="json") if policy else POLICY_YAML
    path.write_text(yaml.safe_dump({"environment": "production", "policy": rules}))
    # No MLflow in the environment: the twin is the registry port's adapter.
    settings = EngineSettings(OPSBOT_DATABASE_URL=db_url, OPSBOT_CONFIG=str(path), MLFLOW_TRACKING_URI="")
    opsbot_config = load_config(settings.config_path).model_copy(update={"models": config})
    eng = build_engine(settings, opsbot_config, clock=clock or SystemClock(), model_registry=registry)
    assert eng.models is not None and eng.models.registry is registry
    return eng


@pytest.fixture
async def build(tmp_path: Path, engines) -> AsyncIterator[Callable[..., Any]]:
    """Return an async factory: (model service, approvals, audit) of an engine on the given registry twin."""

    async def make(db: Database, registry: MemoryRegistry, clock: Clock | None = None,
                   config: ModelsConfig = CONFIG, policy: dict | None = None
                   ) -> tuple[ModelService, Approvals, AuditLog]:
        eng = await engines(engine_on_twin(db.url, registry, tmp_path, clock, config, policy))
        assert eng.models is not None
        return eng.models, eng.approvals, eng.audit

    yield make


@pytest.fixture
async def world(db: Database, build) -> AsyncIterator[tuple[ModelService, Approvals, MemoryRegistry, Database]]:
    """A service over the twin with `churn` (production) and `staging-churn` seeded."""
    reg = MemoryRegistry()
    seed(reg, "churn")
    seed(reg, "staging-churn")
    svc, approvals, _ = await build(db, reg)
    yield svc, approvals, reg, db


async def notices(db: Database, template: str | None = None) -> list[OutboxItem]:
    """Return queued notices, optionally of one template."""
    async with db.session() as s:
        rows = (await s.exec(select(OutboxItem).order_by(OutboxItem.id))).all()
    return [r for r in rows if template is None or r.template == template]


@pytest.fixture
async def mlflow_engine(tmp_path: Path, engines) -> AsyncIterator[Callable[..., Any]]:
    """Return an async factory: engine(db_url, mlflow_uri) built by engine.wiring.build_engine from
    EngineSettings and an opsbot.yaml with this policy and models section, every table created."""

    async def make(url: str, mlflow_uri: str) -> Engine:
        path = tmp_path / "opsbot.yaml"
        models = {**MODELS_YAML, "timeout_seconds": 30.0}  # a loaded test machine's MLflow can be slow
        path.write_text(yaml.safe_dump({"environment": "production", "policy": POLICY_YAML, "models": models}))
        settings = EngineSettings(OPSBOT_DATABASE_URL=url, OPSBOT_CONFIG=str(path), MLFLOW_TRACKING_URI=mlflow_uri)
        return await engines(build_engine(settings, load_config(settings.config_path)))

    yield make
