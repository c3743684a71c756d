"""Runbook runs with real command and http steps: injection, secrets, timeouts, failure paths."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest
from aiohttp import web

from engine.errors import Conflict, Forbidden, InvalidInput

from engine.adapters.alertmanager import MemoryAlertmanager, RunbookSilences
from gov_helpers import ALICE, BOB, LEAD, VIC, make_runbooks, memory_aliases, memory_prometheus, step_details

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
async def test_injection_never_reaches_a_shell(sqlite_db, tmp_path, a, b):
    svc, approvals, audit = make_runbooks(sqlite_db, [echo_runbook(tmp_path)], secrets={"TOKEN": "tok-12345678"})
    req = await svc.request(LEAD, "echo-args", {"a": a, "b": b})
    await approvals.wait_idle()
    row, _ = await approvals.get(req.id)
    assert row.state == "succeeded", row.reason
    out = (await step_details(sqlite_db, req.id))["echo"].splitlines()
    assert json.loads(out[0]) == [a, b]
    assert out[1] == "token is [REDACTED]"
    assert not list(tmp_path.glob("pwned*"))
    assert (await audit.verify()).ok


async def test_option_and_newline_smuggling_refused_before_anything_runs(sqlite_db, tmp_path):
    svc, approvals, _ = make_runbooks(sqlite_db, [echo_runbook(tmp_path)])
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


async def test_http_step_keeps_host_and_encodes_segment(sqlite_db, tmp_path, deploy_api):
    port, seen = deploy_api
    svc, approvals, _ = make_runbooks(sqlite_db, [http_runbook(tmp_path, port)], secrets={"API": "Bearer sekrit-abcdef"})
    value = "../admin?x=1#frag"
    req = await svc.request(LEAD, "restart-http", {"service": value})
    await approvals.wait_idle()
    row, _ = await approvals.get(req.id)
    assert row.state == "succeeded", row.reason
    assert len(seen) == 1 and seen[0]["host"] == f"127.0.0.1:{port}"
    assert seen[0]["raw_path"].startswith("/api/services/..%2Fadmin%3Fx%3D1%23frag/restart?")
    assert seen[0]["service"] == value and seen[0]["query"] == {"reason": value}
    assert seen[0]["body"] == {"replicas": 3, "service": value} and seen[0]["auth"] == "Bearer sekrit-abcdef"
    assert "sekrit" not in (await step_details(sqlite_db, req.id))["call"]


async def test_unexpected_status_fails_and_runs_on_failure(sqlite_db, tmp_path, deploy_api):
    port, _ = deploy_api
    svc, approvals, _ = make_runbooks(sqlite_db, [http_runbook(tmp_path, port)], secrets={"API": "x"})
    req = await svc.request(LEAD, "restart-http", {"service": "broken"})
    await approvals.wait_idle()
    row, _ = await approvals.get(req.id)
    assert row.state == "failed" and "HTTP 500" in row.reason and "on_failure steps ran" in row.reason
    assert [p["name"] for p in row.progress] == ["call", "after"]
    assert (await step_details(sqlite_db, req.id))["after"] == "restart of broken failed"


async def test_step_timeout_kills_the_command(sqlite_db, tmp_path):
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
    svc, approvals, _ = make_runbooks(sqlite_db, [d])
    t0 = time.monotonic()
    req = await svc.request(LEAD, "slow", {})
    await approvals.wait_idle()
    row, _ = await approvals.get(req.id)
    assert row.state == "failed" and "timed out after 0.5s" in row.reason
    assert time.monotonic() - t0 < 10


async def test_cancel_stops_a_running_command(sqlite_db, tmp_path):
    d = write(tmp_path, "slow", f"""
name: slow
description: sleeps
environment: staging
steps:
  - name: sleep
    type: command
    argv: [{json.dumps(PY)}, -c, "import time; time.sleep(30)"]
""")
    svc, approvals, _ = make_runbooks(sqlite_db, [d])
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


def model_runbook(tmp: Path) -> Path:
    return write(tmp, "model", """
name: rollback-model
description: move alias, verify, undo on failure
environment: production
parameters:
  version: {type: integer}
steps:
  - name: move
    type: mlflow_alias
    model: churn
    alias: prod
    version: "${version}"
  - name: quiet
    type: alertmanager_silence
    matchers: {alertname: ModelAccuracyDrop, model: churn}
    duration: 30m
verify:
  - name: accuracy
    type: promql_check
    query: 'min(model_accuracy{model="churn"})'
    condition: {op: ">=", value: 0.8}
    interval: 0.05s
    timeout: 0.3s
on_failure:
  - name: undo
    type: mlflow_alias
    model: churn
    alias: prod
    action: rollback
""")


async def test_world_changed_after_request_is_a_conflict(db, tmp_path):
    models = await memory_aliases(prod=6)
    svc, approvals, _ = make_runbooks(db, [model_runbook(tmp_path)], models=models,
                                      metrics=memory_prometheus(ACCURACY, [0.9]),
                                      silences=RunbookSilences(MemoryAlertmanager()))
    req = await svc.request(ALICE, "rollback-model", {"version": 5})
    assert req.state == "requested" and "now churn@prod = version 6" in req.dry_run
    with pytest.raises(Forbidden, match="you requested"):
        await approvals.approve(req.id, ALICE)
    with pytest.raises(Forbidden, match="need role"):
        await approvals.approve(req.id, VIC)
    await models.registry.set_alias("churn", "prod", 8)  # moved outside opsbot
    with pytest.raises(Conflict, match="churn@prod moved from version 6 to 8"):
        await approvals.approve(req.id, BOB)
    assert models.moves == [] and (await approvals.get(req.id))[0].state == "conflict"


async def test_verify_failure_rolls_back(db, tmp_path):
    models, alertmanager = await memory_aliases(prod=6), MemoryAlertmanager()
    svc, approvals, audit = make_runbooks(db, [model_runbook(tmp_path)], models=models,
                                          metrics=memory_prometheus(ACCURACY, [0.5]),
                                          silences=RunbookSilences(alertmanager))
    req = await svc.request(ALICE, "rollback-model", {"version": 5})
    await approvals.approve(req.id, BOB)
    await approvals.wait_idle()
    row, _ = await approvals.get(req.id)
    assert row.state == "failed" and "verify step accuracy failed" in row.reason
    assert models.moves == [("churn", "prod", "5"), ("churn", "prod", "6")]
    [silence] = await alertmanager.list_silences()
    assert {(m.name, m.value, m.is_regex) for m in silence.matchers} == {
        ("alertname", "ModelAccuracyDrop", False), ("model", "churn", False)}
    assert (silence.ends_at - silence.starts_at).total_seconds() == 1800
    actions = [e.action for e in await audit.recent(100)]
    assert actions.count("run.step") == 8 and actions[0] == "run.failed"
    assert (await audit.verify()).ok


async def test_verify_success(db, tmp_path):
    models = await memory_aliases(prod=6)
    svc, approvals, _ = make_runbooks(db, [model_runbook(tmp_path)], models=models,
                                      metrics=memory_prometheus(ACCURACY, [0.5], [0.95]),
                                      silences=RunbookSilences(MemoryAlertmanager()))
    req = await svc.request(ALICE, "rollback-model", {"version": 5})
    await approvals.approve(req.id, BOB)
    await approvals.wait_idle()
    assert (await approvals.get(req.id))[0].state == "succeeded"
    assert await models.get_alias_version("churn", "prod") == "5"
