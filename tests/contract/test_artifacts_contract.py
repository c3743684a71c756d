"""One contract for the artifact store port: the twin and MlflowArtifacts on a real MLflow server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from engine.adapters.memory_artifacts import MemoryArtifacts
from engine.drift.serving import MlflowArtifacts
from engine.errors import InvalidInput
from tests.conftest_mlflow import mlflow_server_uri

CSV = "feature,value\na,1\nb,2\n"


def log_run(uri: str) -> str:
    """Log a run holding data/reference.csv on the MLflow server; return its id."""
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    run = client.create_run(experiment_id="0")
    client.log_text(run.info.run_id, CSV, "data/reference.csv")
    client.set_terminated(run.info.run_id)
    return str(run.info.run_id)


@pytest.fixture(params=["twin", "mlflow"])
async def store(request):
    """(the artifact store, a run id holding data/reference.csv)."""
    if request.param == "twin":
        artifacts = MemoryArtifacts()
        artifacts.add("run1", "data/reference.csv", CSV.encode())
        yield artifacts, "run1"
    else:
        uri = mlflow_server_uri()
        run_id = await asyncio.to_thread(log_run, uri)
        artifacts = MlflowArtifacts(uri)
        yield artifacts, run_id
    artifacts.close()


async def test_downloads_an_artifact_to_a_local_file(store):
    artifacts, run_id = store
    local = await artifacts.download(run_id, "data/reference.csv")
    assert Path(local).read_text() == CSV and Path(local).name == "reference.csv"
    assert await artifacts.download(run_id, "data/reference.csv") == local


async def test_missing_artifact_is_invalid_input_naming_it(store):
    artifacts, run_id = store
    with pytest.raises(InvalidInput) as err:
        await artifacts.download(run_id, "data/nope.csv")
    assert "data/nope.csv" in err.value.message and run_id in err.value.message
