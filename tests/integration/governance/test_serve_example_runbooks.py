"""The shipped example runbooks, run end to end by an engine built exactly as `opsbot serve`
builds it (environment -> BotSettings -> build_runtime), against a real Prometheus and a real
Alertmanager started by the test on free loopback ports.

Guards the wiring: a runbook's promql_check must reach the Prometheus that
OPSBOT_PROMETHEUS_URL names, and its alertmanager_silence step the Alertmanager that
OPSBOT_ALERTMANAGER_URL names, with no test handing either in by hand."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.request
import uuid
from pathlib import Path

import pytest
from bot.runtime import build_runtime
from bot.settings import BotSettings
from engine.actor import Actor
from gov_helpers import instant_queries
from tests.servers import start_alertmanager, start_prometheus

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "runbooks"
REQUESTER, APPROVER = Actor("U0LEE", "lee"), Actor("U0ALICE", "alice")
CONFIG = f"""
environment: production
runbooks: {{dirs: [{json.dumps(str(EXAMPLES))}]}}
policy:
  roles:
    sre: {{users: [U0ALICE]}}
    lead: {{users: [U0LEE]}}
  rules:
    - {{action: "runbook:*", env: "*", roles: [lead, sre], effect: allow}}
"""

pytestmark = pytest.mark.slow


@pytest.fixture
def servers(tmp_path):
    """A real Prometheus and a real Alertmanager on free loopback ports."""
    (tmp_path / "prom").mkdir()
    (tmp_path / "am").mkdir()
    prom, prom_url = start_prometheus(tmp_path / "prom")
    am, am_url = start_alertmanager(tmp_path / "am")
    yield prom_url, am_url
    for proc in (prom, am):
        proc.terminate()
        proc.wait(10)


async def start_serve_runtime(servers, tmp_path, monkeypatch, mlflow_uri: str | None = None):
    """Return the runtime `opsbot serve` builds, from nothing but the environment, started."""
    prom_url, am_url = servers
    (tmp_path / "opsbot.yaml").write_text(CONFIG)
    for name, value in {"OPSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'opsbot.db'}",
                        "OPSBOT_CONFIG": str(tmp_path / "opsbot.yaml"),
                        "OPSBOT_PROMETHEUS_URL": prom_url, "OPSBOT_ALERTMANAGER_URL": am_url,
                        "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "test-secret"}.items():
        monkeypatch.setenv(name, value)
    if mlflow_uri:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)
    else:
        monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    runtime = build_runtime(BotSettings(), environ=os.environ)  # what bot.main._serve calls
    await runtime.start("127.0.0.1", 0, background=False)
    return runtime


@pytest.fixture
async def serve_runtime(servers, tmp_path, monkeypatch):
    """The runtime `opsbot serve` builds, without a model registry."""
    runtime = await start_serve_runtime(servers, tmp_path, monkeypatch)
    yield runtime
    await runtime.stop()


async def run_approved(runtime, name: str, args: dict[str, str]):
    """Request a runbook, approve it when it needs a second person, wait for the run; return
    the request and {step name: (status, summary)}."""
    engine = runtime.engine
    row = await engine.runbooks.request(REQUESTER, name, args)
    if row.state == "requested":  # needs a second person
        await engine.approvals.approve(row.id, APPROVER)
    await engine.approvals.wait_idle()
    row, _ = await engine.approvals.get(row.id)
    steps = {p["name"]: (p["status"], p["summary"]) for p in row.progress}
    return row, steps


async def test_every_example_runbook_loads(serve_runtime):
    names = {lr.runbook.name for lr in serve_runtime.engine.runbooks.list()}
    shipped = {p.stem for p in EXAMPLES.glob("*.yaml")}
    assert names == shipped


async def test_restart_service_verifies_against_the_configured_prometheus(serve_runtime, servers):
    row, steps = await run_approved(serve_runtime, "restart-service", {"service": "checkout"})
    assert row.state == "succeeded", (row.reason, steps)
    assert set(steps) >= {"announce", "restart", "settle", "error-rate-ok"}
    assert "tell-owner" not in steps  # on_failure did not run
    assert "no Prometheus" not in steps["error-rate-ok"][1]
    # The check really asked this Prometheus: its own counter of instant-query requests moved.
    assert instant_queries(servers[0]) > 0

async def test_silence_alert_creates_the_silence_in_the_configured_alertmanager(serve_runtime, servers):
    row, steps = await run_approved(serve_runtime, "silence-alert",
                                    {"alertname": "HighLatency", "service": "checkout"})
    assert row.state == "succeeded", (row.reason, steps)
    with urllib.request.urlopen(f"{servers[1]}/api/v2/silences", timeout=5) as resp:
        silences = json.load(resp)
    matchers = [{m["name"]: m["value"] for m in s["matchers"]} for s in silences]
    assert {"alertname": "HighLatency", "service": "checkout"} in matchers


async def test_rollback_model_moves_the_alias_through_the_model_history(servers, tmp_path, monkeypatch):
    """MLFLOW_TRACKING_URI wires the model service; the runbook's alias step goes through it."""
    from mlflow import MlflowClient

    from tests.conftest_mlflow import mlflow_server_uri, register_sklearn_versions

    uri = mlflow_server_uri()
    name = f"churn-{uuid.uuid4().hex[:6]}"
    spec = {"metrics": {"auc": 0.9}, "tags": {}, "C": 0.1}
    v1, v2 = await asyncio.to_thread(register_sklearn_versions, uri, name, [spec, spec])
    await asyncio.to_thread(MlflowClient(uri).set_registered_model_alias, name, "production", str(v2))
    runtime = await start_serve_runtime(servers, tmp_path, monkeypatch, mlflow_uri=uri)
    try:
        row, steps = await run_approved(runtime, "rollback-model", {"model": name, "version": str(v1)})
        assert row.state == "succeeded", (row.reason, steps)
        assert "accuracy-ok" in steps and "undo" not in steps
        model = await asyncio.to_thread(MlflowClient(uri).get_registered_model, name)
        assert model.aliases["production"] == str(v1)
        history = await runtime.engine.models.history(APPROVER, name)
        assert [(h["kind"], h["from_version"], h["to_version"]) for h in history][:1] == [("runbook", v2, v1)]
    finally:
        await runtime.stop()
