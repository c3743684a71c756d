"""One contract for the model registry port, run on the in-memory twin and on a real MLflow server."""

from __future__ import annotations

import asyncio
import socket
import uuid
from datetime import datetime

import pytest

from engine.adapters.memory_registry import MemoryRegistry
from engine.adapters.mlflow_registry import MlflowRegistry
from engine.errors import NotFound, Unavailable
from tests.conftest_mlflow import mlflow_server_uri, register_sklearn_versions

SPECS = [
    {"metrics": {"auc": 0.91, "latency_p95_ms": 40.0}, "tags": {"validation_status": "passed"}, "C": 0.1},
    {"metrics": {"auc": 0.93, "latency_p95_ms": 42.0}, "tags": {"validation_status": "failed"}, "C": 1.0},
    {"metrics": {"auc": 0.95, "latency_p95_ms": 47.0}, "tags": {"validation_status": "passed"}, "C": 10.0},
]


class Harness:
    """A registry plus a way to seed it with a model of three versions."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        if kind == "memory":
            self.registry = MemoryRegistry()
        else:
            self.uri = mlflow_server_uri()
            self.registry = MlflowRegistry(self.uri, timeout=30.0)

    async def seed(self, name: str) -> list[int]:
        """Register `name` with the three SPECS versions."""
        if self.kind == "memory":
            return [self.registry.create_version(name, s["metrics"], s["tags"]).version for s in SPECS]
        return await asyncio.to_thread(register_sklearn_versions, self.uri, name, SPECS)


@pytest.fixture(params=["memory", "mlflow"])
def harness(request) -> Harness:
    """The contract runs once per implementation."""
    return Harness(request.param)


def unique(prefix: str = "churn") -> str:
    """Return a model name no other test uses (the MLflow server is shared by the session)."""
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


async def test_lists_and_gets_models_with_aliases(harness: Harness) -> None:
    name = unique()
    await harness.seed(name)
    await harness.registry.set_alias(name, "champion", 2)
    listed = {m.name: m for m in await harness.registry.list_models()}
    assert listed[name].aliases == {"champion": 2}
    assert listed[name].latest_version == 3
    model = await harness.registry.get_model(name)
    assert model.aliases == {"champion": 2}
    assert isinstance(model.updated_at, datetime) and model.updated_at.tzinfo is not None


async def test_versions_newest_first_with_status_run_tags_and_time(harness: Harness) -> None:
    name = unique()
    await harness.seed(name)
    await harness.registry.set_alias(name, "challenger", 3)
    versions = await harness.registry.list_versions(name)
    assert [v.version for v in versions] == [3, 2, 1]
    assert all(v.ready and v.run_id and v.created_at and v.created_at.tzinfo for v in versions)
    assert versions[1].tags["validation_status"] == "failed"
    assert versions[0].aliases == ("challenger",)
    one = await harness.registry.get_version(name, 3)
    assert one.aliases == ("challenger",) and one.run_id == versions[0].run_id


async def test_run_metrics_are_the_logged_values(harness: Harness) -> None:
    name = unique()
    await harness.seed(name)
    v2 = await harness.registry.get_version(name, 2)
    metrics = await harness.registry.run_metrics(v2.run_id)
    assert metrics["auc"] == pytest.approx(0.93)
    assert metrics["latency_p95_ms"] == pytest.approx(42.0)


async def test_alias_moves_and_deletes(harness: Harness) -> None:
    name = unique()
    await harness.seed(name)
    reg = harness.registry
    await reg.set_alias(name, "champion", 1)
    await reg.set_alias(name, "champion", 3)
    assert (await reg.get_model(name)).aliases == {"champion": 3}
    assert (await reg.get_version(name, 1)).aliases == ()
    await reg.delete_alias(name, "champion")
    assert (await reg.get_model(name)).aliases == {}
    with pytest.raises(NotFound) as err:
        await reg.delete_alias(name, "champion")
    assert "champion" in err.value.message


async def test_version_tags_are_set(harness: Harness) -> None:
    name = unique()
    await harness.seed(name)
    await harness.registry.set_version_tag(name, 2, "opsbot.promoted_by", "U123")
    tags = (await harness.registry.get_version(name, 2)).tags
    assert tags["opsbot.promoted_by"] == "U123" and tags["validation_status"] == "failed"


async def test_unknown_model_names_the_closest(harness: Harness) -> None:
    name = unique("fraud")
    await harness.seed(name)
    typo = name[:-1] + ("x" if name[-1] != "x" else "y")
    with pytest.raises(NotFound) as err:
        await harness.registry.get_model(typo)
    assert typo in err.value.message and name in (err.value.hint or "")
    with pytest.raises(NotFound):
        await harness.registry.list_versions(typo)


async def test_unknown_version_names_the_closest(harness: Harness) -> None:
    name = unique()
    await harness.seed(name)
    with pytest.raises(NotFound) as err:
        await harness.registry.get_version(name, 9)
    assert "9" in err.value.message and "3" in (err.value.hint or "")
    with pytest.raises(NotFound):
        await harness.registry.set_alias(name, "champion", 7)
    assert (await harness.registry.get_model(name)).aliases == {}


async def test_unreachable_registry_is_unavailable_naming_the_uri(harness: Harness) -> None:
    if harness.kind == "memory":
        reg = harness.registry
        reg.available = False
    else:
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        reg = MlflowRegistry(f"http://127.0.0.1:{port}", timeout=5.0)
    with pytest.raises(Unavailable) as err:
        await reg.list_models()
    assert reg.uri in err.value.message
