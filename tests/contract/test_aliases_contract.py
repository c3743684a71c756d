"""One contract for the runbooks' AliasControl port: the twin (MemoryAliases on MemoryRegistry) and
what `opsbot serve` wires (RecordedAliases: the alias mover on a real MLflow server)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from engine.adapters.memory_registry import MemoryAliases, MemoryRegistry
from engine.adapters.mlflow_registry import MlflowRegistry
from engine.audit import AuditLog
from engine.core.clock import SystemClock
from engine.errors import NotFound
from engine.models.mover import AliasMover
from engine.models.runbook_bridge import RecordedAliases
from engine.ports import AliasControl, ModelRegistry
from tests.conftest_mlflow import mlflow_server_uri, register_sklearn_versions

SPECS = [{"metrics": {"auc": 0.9}, "tags": {}, "C": c} for c in (0.1, 1.0, 10.0)]


@pytest.fixture(params=["twin", "mlflow"])
async def world(request, sqlite_db) -> tuple[AliasControl, ModelRegistry, str]:
    """(the port, the registry under it, a model with versions 1-3 and `prod` -> 2)."""
    name = f"churn-{uuid.uuid4().hex[:6]}"
    registry: ModelRegistry
    if request.param == "twin":
        mem = MemoryRegistry()
        for s in SPECS:
            mem.create_version(name, s["metrics"])
        registry, port = mem, MemoryAliases(mem)
    else:
        uri = mlflow_server_uri()
        await asyncio.to_thread(register_sklearn_versions, uri, name, SPECS)
        registry = MlflowRegistry(uri, timeout=30.0)
        db, clock = sqlite_db, SystemClock()  # the mover records moves in the database
        port = RecordedAliases(registry, AliasMover(db, registry, AuditLog(db, clock), clock))
    await registry.set_alias(name, "prod", 2)
    return port, registry, name


async def test_reads_an_alias_as_a_version_string(world):
    port, _, name = world
    assert await port.get_alias_version(name, "prod") == "2"
    assert await port.get_alias_version(name, "canary") is None


async def test_moves_an_alias_the_registry_then_shows(world):
    port, registry, name = world
    await port.set_alias_version(name, "prod", "3")
    assert await port.get_alias_version(name, "prod") == "3"
    assert (await registry.get_model(name)).aliases == {"prod": 3}
    await port.set_alias_version(name, "prod", "3")  # already there: no move, no error
    assert (await registry.get_model(name)).aliases == {"prod": 3}


async def test_unknown_model_or_version_is_not_found(world):
    port, registry, name = world
    with pytest.raises(NotFound):
        await port.get_alias_version(name + "x", "prod")
    with pytest.raises(NotFound):
        await port.set_alias_version(name, "prod", "9")
    assert (await registry.get_model(name)).aliases == {"prod": 2}
