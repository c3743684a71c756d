"""A reference read from the serving version's run in a real MLflow server: the check follows
the alias to the run, downloads the artifact once, and names the artifact when it is absent.

The engine is built from settings (engine.wiring.build_engine) with MLFLOW_TRACKING_URI naming the
server, so the model service and the artifact download are the ones `opsbot serve` wires."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import pytest

from engine.actor import Actor
from engine.drift.config import DriftConfig
from engine.lab.drift.demo import write_demo_data
from engine.core.clock import FakeClock
from engine.errors import InvalidInput
from tests.conftest_mlflow import mlflow_server_uri

NOW = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


def _register(uri: str, name: str, reference: str) -> str:
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(uri)
    with mlflow.start_run() as run:
        mlflow.log_artifact(reference, artifact_path="data")
    client = MlflowClient(uri)
    client.create_registered_model(name)
    mv = client.create_model_version(name, source=f"{run.info.artifact_uri}/data", run_id=run.info.run_id)
    client.set_registered_model_alias(name, "champion", mv.version)
    return run.info.run_id


async def test_reference_from_the_serving_runs_artifacts(make_engine, tmp_path):
    uri = await asyncio.to_thread(mlflow_server_uri)
    ref, cur = write_demo_data(tmp_path, NOW)
    name = f"churn-{uuid.uuid4().hex[:6]}"
    await asyncio.to_thread(_register, uri, name, str(ref))
    config = DriftConfig.model_validate({"models": {"churn": {
        "registry_model": name, "reference": {"mlflow_artifact": f"data/{ref.name}"},
        "current": {"path": str(cur), "time_column": "ts", "window": "24h"}}}})
    engine = await make_engine(f"sqlite:///{tmp_path / 'opsbot.db'}", config, FakeClock(NOW), mlflow=uri)
    svc = engine.drift
    assert engine.models is not None and svc.link.models is engine.models  # wired, not handed in
    result = await svc.check("churn", Actor("U0ALICE", "alice"))
    assert result.report.dataset_drift and result.report.reference.rows == 5000
    assert result.context["reference"] == ref.name and result.context["serving"] == "v1"

    svc.add_model("churn", config.models["churn"].model_copy(update={
        "reference": config.models["churn"].reference.model_copy(update={"mlflow_artifact": "data/nope.csv"})}))
    with pytest.raises(InvalidInput) as info:
        await svc.check("churn", Actor("U0ALICE", "alice"))
    assert "data/nope.csv" in info.value.message
