"""Through the local workspace: a shadow trigger's note in the incident thread, `/ops auto report`,
`/ops why`, `/ops stats`, and the role-gated kill switch announced in the channel."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone

import pytest

from bot.stack import start_local_stack
from engine.config import OpsbotConfig
from engine.settings import EngineSettings

CONFIG = {
    "policy": {"roles": {"admin": {"users": ["U0ALICE"]}},
               "rules": [{"action": "auto:pause", "roles": ["admin"], "effect": "allow"}]},
    "auto": {"interval_s": 3600},
    "alerts": {"default_channel": "ops"},
}


def _runbook(tmp) -> str:
    d = tmp / "runbooks"
    d.mkdir()
    (d / "restart.yaml").write_text(f"""
name: restart-api
description: Restart a service's workers.
environment: production
parameters:
  service: {{type: string, pattern: "^[a-z][a-z0-9-]*$"}}
triggers:
  - {{name: api-down, alert: {{labels: {{alertname: ApiDown}}, for: 1m}}}}
steps:
  - {{name: restart, type: command, argv: [{json.dumps(sys.executable)}, -c, "print(1)", "${{service}}"], reversible: true}}
verify:
  - {{name: up, type: promql_check, query: 'up{{service="${{service}}"}}', condition: {{op: "==", value: 1}}}}
rollback:
  - {{name: undo, type: notify, message: "undo ${{service}}"}}
""")
    return str(d)


def _texts(msg: dict) -> str:
    return json.dumps(msg.get("blocks", [])) + msg.get("text", "")


@pytest.fixture
async def auto_stack(tmp_path):
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    config = OpsbotConfig.model_validate(CONFIG | {"runbooks": {"dirs": [_runbook(tmp_path)]}})
    stack = await start_local_stack(settings, config)
    yield stack
    await stack.stop()


async def test_shadow_note_report_why_stats_and_kill_switch(auto_stack):
    ws, eng = auto_stack.workspace, auto_stack.bot.engine
    start = (datetime.now(timezone.utc) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"receiver": "opsbot", "status": "firing", "version": "4", "groupKey": "g", "truncatedAlerts": 0,
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am",
            "alerts": [{"status": "firing", "labels": {"alertname": "ApiDown", "service": "api", "severity": "critical"},
                        "annotations": {}, "startsAt": start, "endsAt": "0001-01-01T00:00:00Z",
                        "generatorURL": "", "fingerprint": "f1"}]}
    await eng.alerts.receive("alertmanager", json.dumps(body).encode())
    assert await eng.auto.evaluate() == 1
    card = await ws.wait_for(lambda: next((m for m in ws.messages("ops") if "incident #1" in m.get("text", "")),
                                          None), timeout=15)
    note = await ws.wait_for(lambda: next((r for r in ws.replies("ops", card["ts"])
                                           if "would have run" in _texts(r)), None), timeout=15)
    assert "restart: run" in _texts(note) and "Nothing was run" in _texts(note)

    report = await ws.send_slash_command("bob", "ops", "auto report 30d")
    text = _texts(report.json or ws.last_ephemeral("bob"))
    assert "restart-api/api-down" in text and "fired 1" in text and "#1" in text and "still open 1" in text

    for period in ("999999999d", "0d", "366d"):  # refused with the range, never "something went wrong"
        huge = await ws.send_slash_command("bob", "ops", f"auto report {period}")
        text = _texts(huge.json or ws.last_ephemeral("bob"))
        assert "1 to 365" in text and "went wrong" not in text, text

    why = await ws.send_slash_command("bob", "ops", "why 1")
    assert "restart-api/api-down" in _texts(why.json or ws.last_ephemeral("bob"))
    assert "the trigger is in shadow mode" in _texts(why.json or ws.last_ephemeral("bob"))  # in words, not `shadow_mode`
    stats = await ws.send_slash_command("bob", "ops", "stats 7d")
    assert "Automatic runs: 0" in _texts(stats.json or ws.last_ephemeral("bob"))

    refused = await ws.send_slash_command("bob", "ops", "auto pause")
    assert "auto:pause" in _texts(refused.json or ws.last_ephemeral("bob"))
    await ws.send_slash_command("alice", "ops", "auto pause deploy freeze")
    await ws.wait_for(lambda: next((m for m in ws.messages("ops") if "Auto-remediation paused by" in m.get("text", "")),
                                   None), timeout=15)
    assert await eng.auto.switch.paused()
