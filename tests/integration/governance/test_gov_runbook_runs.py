"""Runbook runs with real command and http steps: injection, secrets, timeouts, failure paths; and
the model rollback runbook against a real MLflow, Prometheus and Alertmanager. Every engine is built
from settings and an opsbot.yaml by engine.wiring.build_engine, the way `opsbot serve` builds it."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from aiohttp import web

from engine.errors import Conflict, Forbidden, InvalidInput

from gov_helpers import ALICE, BOB, LEAD, VIC, instant_queries, step_details
from tests.servers import openmetrics, start_alertmanager, start_prometheus

PY = sys.executable
ECHO = "import json, os, sys; print(json.dumps(sys.argv[1:])); print('token is', os.environ.get('TOKEN'))"


def write(tmp: Path, name: str, body: str) -> Path:
    d = tmp / "rb"
    d.mkdir(exist_ok=True)
    (d / f"{name}.yaml").write_text(body)
    return d


def echo_runbook(tmp: Path) -> Path:
    return write(tmp, "echo", f"""
name: echo-args
description: prints its argv
environment: staging
parameters:
  a: {{type: string}}
  b: {{type: string}}
steps:
  - name: echo
    type: command
    argv: [{json.dumps(PY)}, -c, {json.dumps(ECHO)}, "${{a}}", "${{b}}"]
    env: {{TOKEN: "${{secret:TOKEN}}"}}
    cwd: {json.dumps(str(tmp))}
""")


@pytest.mark.parametrize("a, b", [
    ("; touch pwned1", "$(touch pwned2)"),
    ("`touch pwned3`", "x && touch pwned4 | cat"),
    ("../../etc/passwd", "' \" ; exit 1"),
])
async def test_injection_never_reaches_a_shell(make_engine, sqlite_url, tmp_path, a, b):
    eng = await make_engine(sqlite_url, runbook_dirs=[echo_runbook(tmp_path)], secrets={"TOKEN": "tok-12345678"})
    svc, approvals, audit = eng.runbooks, eng.approvals, eng.audit
    req = await svc.request(LEAD, "echo-args", {"a": a, "b": b})
    await approvals.wait_idle()
    row, _ = await approvals.get(req.id)
    assert row.state == "succeeded", row.reason
    out = (await step_details(eng.db, req.id))["echo"].splitlines()
    assert json.loads(out[0]) == [a, b]
    assert out[1] == "token is [REDACTED]"
    assert not list(tmp_path.glob("pwned*"))
    assert (await audit.verify()).ok


async def test_option_and_newline_smuggling_refused_before_anything_runs(make_engine, sqlite_url, tmp_path):
    eng = await make_engine(sqlite_url, runbook_dirs=[echo_runbook(tmp_path)])
    svc, approvals = eng.runbooks, eng.approvals
    with pytest.raises(InvalidInput, match="must not start with '-'"):
        await svc.request(LEAD, "echo-args", {"a": "--exec=rm", "b": "x"})
    with pytest.raises(InvalidInput, match="control characters"):
        await svc.request(LEAD, "echo-args", {"a": "x\nrm -rf /", "b": "x"})
    assert await approvals.recent() == []


@pytest.fixture
async def deploy_api():
    seen: list[dict] = []

    async def restart(request: web.Request) -> web.Response:
        seen.append({"raw_path": request.raw_path, "service": request.match_info["service"],
                     "host": request.host, "auth": request.headers.get("Authorization"),
                     "body": await request.json(), "query": dict(request.query)})
        status = 500 if request.match_info["service"] == "broken" else 202
        return web.json_response({"ok": status == 202, "echo_auth": request.headers.get("Authorization")},
                                 status=status)

    app = web.Application()
    app.router.add_post("/api/services/{service}/restart", restart)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield port, seen
    await runner.cleanup()


def http_runbook(tmp: Path, port: int) -> Path:
    return write(tmp, "http", f"""
name: restart-http
description: restart through a local API
environment: staging
parameters:
  service: {{type: string}}
  replicas: {{type: integer, default: 3}}
steps:
  - name: call
    type: http
    method: POST
    url: "http://127.0.0.1:{port}/api/services/${{service}}/restart?reason=${{service}}"
    headers: {{Authorization: "${{secret:API}}"}}
    json: {{replicas: "${{replicas}}", service: "${{service}}"}}
    expect_status: [202]
on_failure:
  - name: after
    type: notify
    message: "restart of ${{service}} failed"
""")


async def test_http_step_keeps_host_and_encodes_segment(make_engine, sqlite_url, tmp_path, deploy_api):
    port, seen = deploy_api
    eng = await make_engine(sqlite_url, runbook_dirs=[http_runbook(tmp_path, port)],
                            secrets={"API": "Bearer sekrit-abcdef"})
    svc, approvals = eng.runbooks, eng.approvals
    value = "../admin?x=1#frag"
    req = await svc.request(LEAD, "restart-http", {"service": value})
    await approvals.wait_idle()
    row, _ = await approvals.get(req.id)
    assert row.state == "succeeded", row.reason
    assert len(seen) == 1 and seen[0]["host"] == f"127.0.0.1:{port}"
    assert seen[0]["raw_path"].startswith("/api/services/..%2Fadmin%3Fx%3D1%23frag/restart?")
    assert seen[0]["service"] == value and seen[0]["query"] == {"reason": value}
    assert seen[0]["body"] == {"replicas": 3, "service": value} and seen[0]["auth"] == "Bearer sekrit-abcdef"
    assert "sekrit" not in (await step_details(eng.db, req.id))["call"]


async def test_unexpected_status_fails_and_runs_on_failure(make_engine, sqlite_url, tmp_path, deploy_api):
    port, _ = deploy_api
    eng = await make_engine(sqlite_url, runbook_dirs=[http_runbook(tmp_path, port)], secrets={"API": "x"})
    svc, approvals = eng.runbooks, eng.approvals
    req = await svc.request(LEAD, "restart-http", {"service": "broken"})
    await approvals.wait_idle()
    row, _ = await approvals.get(req.id)
    assert row.state == "failed" and "HTTP 500" in row.reason and "on_failure steps ran" in row.reason
    assert [p["name"] for p in row.progress] == ["call", "after"]
    assert (await step_details(eng.db, req.id))["after"] == "restart of broken failed"


async def test_step_timeout_kills_the_command(make_engine, sqlite_url, tmp_path):
    d = write(tmp_path, "slow", f"""
name: slow
description: sleeps too long
environment: staging
steps:
  - name: sleep
    type: command
    argv: [{json.dumps(PY)}, -c, "import time; time.sleep(30)"]
    timeout: 0.5s
""")
    eng = await make_engine(sqlite_url, runbook_dirs=[d])
    svc, approvals = eng.runbooks, eng.approvals
    t0 = time.monotonic()
    req = await svc.request(LEAD, "slow", {})
    await approvals.wait_idle()
    row, _ = await approvals.get(req.id)
    assert row.state == "failed" and "timed out after 0.5s" in row.reason
    assert time.monotonic() - t0 < 10


async def test_cancel_stops_a_running_command(make_engine, sqlite_url, tmp_path):
    d = write(tmp_path, "slow", f"""
name: slow
description: sleeps
environment: staging
steps:
  - name: sleep
    type: command
    argv: [{json.dumps(PY)}, -c, "import time; time.sleep(30)"]
""")
    eng = await make_engine(sqlite_url, runbook_dirs=[d])
    svc, approvals = eng.runbooks, eng.approvals
    req = await svc.request(LEAD, "slow", {})
    for _ in range(1000):  # up to 20 s for the step to start on a loaded machine
        row, _ = await approvals.get(req.id)
        if row.progress:
            break
        await asyncio.sleep(0.02)
    t0 = time.monotonic()
    await approvals.cancel(req.id, LEAD)
    await approvals.wait_idle()
    # Well under the command's 30 s: the cancel killed it rather than waiting for it.
    assert (await approvals.get(req.id))[0].state == "cancelled" and time.monotonic() - t0 < 10


ACCURACY = 'min(model_accuracy{model="churn"})'


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    """A real Prometheus holding model_accuracy{model="churn"} = 0.5 (from ten minutes ago to an hour
    ahead), a real Alertmanager and a real MLflow server; yields the settings that name them."""
    from tests.conftest_mlflow import mlflow_server_uri

    tmp = tmp_path_factory.mktemp("outside")
    (tmp / "prom").mkdir()
    (tmp / "am").mkdir()
    now = time.time()
    series = openmetrics({"model_accuracy": [(now - 600 + 15 * i, 0.5) for i in range(280)]},
                         {"model_accuracy": {"model": "churn"}})
    prom, prom_url = start_prometheus(tmp / "prom", series)
    am, am_url = start_alertmanager(tmp / "am")
    try:
        yield {"OPSBOT_PROMETHEUS_URL": prom_url, "OPSBOT_ALERTMANAGER_URL": am_url,
               "MLFLOW_TRACKING_URI": mlflow_server_uri()}
    finally:
        for proc in (prom, am):
            proc.terminate()
            proc.wait(10)


async def churn(uri: str, prod: int = 6, versions: int = 8) -> str:
    """Register `versions` versions of a fresh model on MLflow, alias `prod` on version `prod`; return its name."""
    from tests.conftest_mlflow import register_sklearn_versions

    name = f"churn-{uuid.uuid4().hex[:8]}"
    spec = {"metrics": {"auc": 0.9}, "tags": {}, "C": 0.1}
    await asyncio.to_thread(register_sklearn_versions, uri, name, [spec] * versions)
    await set_alias(uri, name, prod)
    return name


async def set_alias(uri: str, name: str, version: int) -> None:
    """Move an alias on MLflow directly (outside opsbot)."""
    from mlflow import MlflowClient

    await asyncio.to_thread(MlflowClient(uri).set_registered_model_alias, name, "prod", str(version))


async def alias(uri: str, name: str) -> str:
    """Return the version MLflow's `prod` alias points at."""
    from mlflow import MlflowClient

    return str((await asyncio.to_thread(MlflowClient(uri).get_registered_model, name)).aliases["prod"])


def model_runbook(tmp: Path, model: str, query: str = ACCURACY, interval: str = "0.05s",
                  timeout: str = "0.3s") -> Path:
    return write(tmp, "model", f"""
name: rollback-model
description: move alias, verify, undo on failure
environment: production
parameters:
  version: {{type: integer}}
steps:
  - name: move
    type: mlflow_alias
    model: {model}
    alias: prod
    version: "${{version}}"
  - name: quiet
    type: alertmanager_silence
    matchers: {{alertname: ModelAccuracyDrop, model: {model}}}
    duration: 30m
verify:
  - name: accuracy
    type: promql_check
    query: '{query}'
    condition: {{op: ">=", value: 0.8}}
    interval: {interval}
    timeout: {timeout}
on_failure:
  - name: undo
    type: mlflow_alias
    model: {model}
    alias: prod
    action: rollback
""")


def silences_of(am_url: str, model: str) -> list[dict]:
    """Return the Alertmanager silences with matcher model=`model`."""
    with urllib.request.urlopen(f"{am_url}/api/v2/silences", timeout=5) as resp:
        found = json.load(resp)
    return [s for s in found if {"name": "model", "value": model} in
            [{"name": m["name"], "value": m["value"]} for m in s["matchers"]]]


async def test_world_changed_after_request_is_a_conflict(make_engine, gov_url, tmp_path, outside):
    uri = outside["MLFLOW_TRACKING_URI"]
    name = await churn(uri, prod=6)
    eng = await make_engine(gov_url, runbook_dirs=[model_runbook(tmp_path, name)], env=outside)
    svc, approvals = eng.runbooks, eng.approvals
    req = await svc.request(ALICE, "rollback-model", {"version": 5})
    assert req.state == "requested" and f"now {name}@prod = version 6" in req.dry_run
    with pytest.raises(Forbidden, match="you requested"):
        await approvals.approve(req.id, ALICE)
    with pytest.raises(Forbidden, match="need role"):
        await approvals.approve(req.id, VIC)
    await set_alias(uri, name, 8)  # moved outside opsbot
    with pytest.raises(Conflict, match=f"{name}@prod moved from version 6 to 8"):
        await approvals.approve(req.id, BOB)
    assert (await approvals.get(req.id))[0].state == "conflict"
    # opsbot moved nothing: the alias is where the outside move put it, and no move is recorded.
    assert await alias(uri, name) == "8" and await eng.models.history(BOB, name) == []


async def test_verify_failure_rolls_back(make_engine, gov_url, tmp_path, outside):
    uri = outside["MLFLOW_TRACKING_URI"]
    name = await churn(uri, prod=6)
    eng = await make_engine(gov_url, runbook_dirs=[model_runbook(tmp_path, name)], env=outside)
    svc, approvals, audit = eng.runbooks, eng.approvals, eng.audit
    req = await svc.request(ALICE, "rollback-model", {"version": 5})
    await approvals.approve(req.id, BOB)
    await approvals.wait_idle()
    row, _ = await approvals.get(req.id)
    assert row.state == "failed" and "verify step accuracy failed" in row.reason
    moves = [(h["kind"], h["from_version"], h["to_version"]) for h in await eng.models.history(BOB, name)]
    assert moves == [("runbook", 5, 6), ("runbook", 6, 5)]  # newest first: 6 -> 5, then the undo
    assert await alias(uri, name) == "6"
    [silence] = await asyncio.to_thread(silences_of, outside["OPSBOT_ALERTMANAGER_URL"], name)
    assert {(m["name"], m["value"], m["isRegex"]) for m in silence["matchers"]} == {
        ("alertname", "ModelAccuracyDrop", False), ("model", name, False)}
    starts, ends = (datetime.fromisoformat(silence[k].replace("Z", "+00:00")) for k in ("startsAt", "endsAt"))
    assert 1795 <= (ends - starts).total_seconds() <= 1800  # Alertmanager may start it a moment later
    actions = [e.action for e in await audit.recent(100)]
    assert actions.count("run.step") == 8 and actions[0] == "run.failed"
    assert (await audit.verify()).ok


async def test_verify_success(make_engine, gov_url, tmp_path, outside):
    uri, prom_url = outside["MLFLOW_TRACKING_URI"], outside["OPSBOT_PROMETHEUS_URL"]
    name = await churn(uri, prod=6)
    # The accuracy reads 0.5 until `recovered`, then 0.95: the check fails first, then passes.
    recovered = time.time() + 5
    query = f"{ACCURACY} + 0.45 * (time() > bool {recovered:.3f})"
    eng = await make_engine(gov_url, runbook_dirs=[model_runbook(tmp_path, name, query, "0.25s", "30s")],
                            env=outside)
    svc, approvals = eng.runbooks, eng.approvals
    before = await asyncio.to_thread(instant_queries, prom_url)
    req = await svc.request(ALICE, "rollback-model", {"version": 5})
    await approvals.approve(req.id, BOB)
    await approvals.wait_idle()
    row, _ = await approvals.get(req.id)
    assert row.state == "succeeded", row.reason
    assert time.time() >= recovered  # it waited for the recovery rather than passing a failing check
    assert await asyncio.to_thread(instant_queries, prom_url) - before >= 2
    assert await alias(uri, name) == "5"
