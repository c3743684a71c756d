"""The whole promote / approve / rollback / watch loop against a real MLflow server, on the engine
built from settings: MLFLOW_TRACKING_URI names the server, opsbot.yaml the gates and the policy."""

from __future__ import annotations

import asyncio
import uuid

from mlflow import MlflowClient

from engine.core.clock import SystemClock
from tests.conftest_mlflow import mlflow_server_uri, register_sklearn_versions
from tests.integration.models.conftest import ALICE, BOB, notices

SPECS = [
    {"metrics": {"auc": 0.91, "latency_p95_ms": 40.0}, "tags": {"validation_status": "passed"}, "C": 0.1},
    {"metrics": {"auc": 0.93, "latency_p95_ms": 42.0}, "tags": {"validation_status": "passed"}, "C": 1.0},
    {"metrics": {"auc": 0.80, "latency_p95_ms": 30.0}, "tags": {"validation_status": "passed"}, "C": 0.001},
]


async def test_promote_approve_rollback_and_watch_on_real_mlflow(mlflow_engine, tmp_path) -> None:
    uri = await asyncio.to_thread(mlflow_server_uri)
    name = f"churn-{uuid.uuid4().hex[:6]}"
    await asyncio.to_thread(register_sklearn_versions, uri, name, SPECS)
    eng = await mlflow_engine(f"sqlite:///{tmp_path / 'opsbot.db'}", uri)
    assert eng.models is not None  # MLFLOW_TRACKING_URI wires the model service
    svc, approvals = eng.models, eng.approvals
    now = SystemClock().now()
    await svc.watch_job(now)  # learn the registry

    first = await svc.promote(ALICE, name, 1)
    await approvals.approve(first.request_id, BOB)
    await approvals.wait_idle()
    second = await svc.promote(ALICE, name, 2)
    assert second.status == "requested" and second.gates_passed
    await approvals.approve(second.request_id, BOB)
    await approvals.wait_idle()
    client = MlflowClient(uri)
    assert client.get_registered_model(name).aliases == {"champion": "2"}
    tags = client.get_model_version(name, "2").tags
    assert tags["opsbot.promoted_by"] == "alice" and tags["opsbot.previous_champion"] == "1"

    blocked = await svc.promote(ALICE, name, 3)
    assert blocked.status == "blocked" and not next(g for g in blocked.gates if g.subject == "auc").passed

    await svc.rollback(BOB, name)
    await approvals.wait_idle()
    assert client.get_registered_model(name).aliases == {"champion": "1"}

    client.set_registered_model_alias(name, "champion", "3")  # someone uses the MLflow UI
    report = await svc.watch_job(now)
    assert report.outside_moves == 1
    hist = await svc.history(ALICE, name)
    assert [(h["kind"], h["from_version"], h["to_version"]) for h in hist[:3]] == \
        [("outside", 1, 3), ("rollback", 2, 1), ("promote", 1, 2)]
    assert (await notices(eng.db, "models/alias_moved_outside"))[0].context["model"] == name
