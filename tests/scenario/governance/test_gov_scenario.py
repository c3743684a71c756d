"""Through the local workspace: alice requests a run, her own approval is refused, bob approves,
progress and the result show in the channel, details in the thread."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bot.stack import start_local_stack
from engine.config import OpsbotConfig
from engine.policy import PolicyConfig
from engine.runbooks.config import RunbooksConfig
from engine.settings import EngineSettings

POLICY = PolicyConfig.model_validate({
    "roles": {"sre": {"users": ["U0ALICE"], "usergroups": ["S0ONCALL"]}},
    "rules": [
        {"action": "runbook:*", "env": "production", "roles": ["sre"], "effect": "approval",
         "approval": {"approver_roles": ["sre"], "approvals": 1}},
        {"action": "cmd:audit", "roles": ["sre"], "effect": "allow"},
    ],
})


def _runbook(tmp: Path) -> Path:
    d = tmp / "runbooks"
    d.mkdir()
    script = "import sys; print('restarting', sys.argv[1]); print('workers up')"
    (d / "restart.yaml").write_text(f"""
name: restart-service
description: Restart a service's workers.
environment: production
parameters:
  service: {{type: string, pattern: "^[a-z][a-z0-9-]*$"}}
steps:
  - name: announce
    type: notify
    message: "Restarting ${{service}}"
  - name: restart
    type: command
    argv: [{json.dumps(sys.executable)}, -c, {json.dumps(script)}, "${{service}}"]
  - name: settle
    type: wait
    seconds: 0.2
""")
    return d


@pytest.fixture
async def gov_stack(tmp_path):
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    config = OpsbotConfig(policy=POLICY, runbooks=RunbooksConfig(dirs=[str(_runbook(tmp_path))]))
    stack = await start_local_stack(settings, config)
    yield stack
    await stack.stop()


def _texts(msg: dict) -> str:
    return json.dumps(msg.get("blocks", [])) + msg.get("text", "")


async def test_request_self_approval_refused_second_person_runs_it(gov_stack):
    ws = gov_stack.workspace
    answer = await ws.send_slash_command("alice", "ops", "run restart-service service=api-gw")
    assert answer.status == 200
    reply = answer.json or ws.last_ephemeral("alice")
    assert "Approval requested (#1)" in _texts(reply)

    msg = await ws.wait_for(lambda: next((m for m in ws.messages("ops") if "#1 runbook" in m.get("text", "")), None),
                            timeout=15)
    assert "Requested" in _texts(msg) and "api-gw" in _texts(msg)

    await ws.click("alice", "ops", msg["ts"], "approval_approve")
    refusal = await ws.wait_for(lambda: next((e for e in ws.ephemerals("alice")
                                              if "cannot approve" in _texts(e)), None), timeout=10)
    assert "you requested #1" in _texts(refusal)

    await ws.click("bob", "ops", msg["ts"], "approval_approve")
    done = await ws.wait_for(lambda: next((m for m in ws.messages("ops") if m["ts"] == msg["ts"]
                                           and "Succeeded" in _texts(m)), None), timeout=20)
    body = _texts(done)
    assert "Approved by <@U0BOB>" in body and "restart" in body and "settle" in body
    assert "approval_approve" not in body  # the buttons are gone once decided
    replies = await ws.wait_for(lambda: (r := ws.replies("ops", msg["ts"])) and len(r) >= 2 and r, timeout=15)
    assert any("workers up" in _texts(r) for r in replies)
    assert any("Restarting api-gw" in _texts(r) for r in replies)

    audit = await ws.send_slash_command("alice", "ops", "audit approval:1")
    text = _texts(audit.json or ws.last_ephemeral("alice"))
    assert "approval.requested" in text and "run.succeeded" in text and "approve_refused" in text


async def test_whoami_lists_roles_from_a_user_group(gov_stack):
    ws = gov_stack.workspace
    answer = await ws.send_slash_command("carol", "ops", "whoami")
    text = _texts(answer.json or ws.last_ephemeral("carol"))
    assert "sre" in text and "runbook:restart-service" in text and "with 1 approval" in text


async def test_run_button_opens_a_parameter_modal_and_requests(gov_stack):
    ws = gov_stack.workspace
    await ws.send_slash_command("alice", "ops", "runbooks")
    listing = await ws.wait_for(lambda: next((e for e in ws.ephemerals("alice") if "runbook.open" in _texts(e)), None))
    await ws.click("alice", "ops", listing["ts"], "runbook.open", value="restart-service")
    view = await ws.wait_for(lambda: ws.open_view("alice"))
    assert "param:service" in json.dumps(view)
    await ws.submit_view("alice", {"param:service": "Bad Value"})
    errors = ws.view_errors("alice")
    assert errors and "must match" in next(iter(errors.values()))
    await ws.submit_view("alice", {"param:service": "billing"})
    note = await ws.wait_for(lambda: next((e for e in ws.ephemerals("alice")
                                           if "Approval requested (#1)" in _texts(e)), None), timeout=10)
    assert "billing" in _texts(note)


async def test_a_dry_run_offers_the_run_with_what_was_previewed(gov_stack):
    ws = gov_stack.workspace
    await ws.send_slash_command("alice", "ops", "run restart-service service=billing --dry-run")
    preview = await ws.wait_for(lambda: next((e for e in ws.ephemerals("alice") if "Dry run" in _texts(e)), None))
    assert "Request run\\u2026" in _texts(preview)  # production needs an approval: the button says so
    button = next(el for b in preview["blocks"] if b["type"] == "actions" for el in b["elements"])
    await ws.click("alice", "ops", preview["ts"], button["action_id"], value=button["value"])
    view = await ws.wait_for(lambda: ws.open_view("alice"))
    service = next(b for b in view["blocks"] if b.get("block_id") == "param:service")
    assert service["element"].get("initial_value") == "billing"
    await ws.submit_view("alice", {"param:service": "billing"})
    note = await ws.wait_for(lambda: next((e for e in ws.ephemerals("alice")
                                           if "Approval requested (#1)" in _texts(e)), None), timeout=10)
    assert "billing" in _texts(note)
