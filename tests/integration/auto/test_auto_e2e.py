"""End to end: a real Alertmanager delivers an alert storm to two replicas on PostgreSQL; the root
alert's trigger first runs in shadow mode (nothing runs, the thread says what would have), is
promoted by an approved request in Slack, and then remediates the next storm exactly once, its
verify passing against a real Prometheus, and the incident resolves."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from bot.demo_alertmanager import alertmanager_argv, find_binary
from bot.stack import start_local_stack
from auto_helpers import runbook_yaml
from engine.adapters.alertmanager import AlertmanagerClient
from engine.approvals.tables import ApprovalRequest
from engine.auto.tables import AutoFire
from engine.config import OpsbotConfig
from engine.settings import EngineSettings
from tests.servers import free_port, wait_ready

TOKEN = "test-token"
pytestmark = pytest.mark.slow


def start_fanout_alertmanager(tmp_path, urls: list[str]):
    """Start a real Alertmanager whose one receiver delivers every notification to each URL."""
    hooks = "".join(f"      - url: {u}\n        send_resolved: true\n        http_config:\n"
                    f"          authorization:\n            credentials: {TOKEN}\n" for u in urls)
    (tmp_path / "am.yml").write_text(
        "route:\n  receiver: opsbot\n  group_by: [alertname, service]\n  group_wait: 1s\n"
        "  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: opsbot\n    webhook_configs:\n" + hooks)
    (tmp_path / "am-data").mkdir(exist_ok=True)
    port = free_port()
    proc = subprocess.Popen(alertmanager_argv(find_binary() or "prometheus-alertmanager", tmp_path / "am.yml",
                                              tmp_path / "am-data", port),
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "am.log", "wb"))
    return proc, wait_ready(proc, f"http://127.0.0.1:{port}", tmp_path / "am.log", 20)


def storm(service: str, minutes_ago: float = 0) -> list[dict]:
    """The root alert (ApiDown, critical) and the symptoms it causes downstream, starting minutes ago."""
    now = (datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)).isoformat()
    alerts = [("ApiDown", service, "critical"), ("HighLatency", f"{service}-web", "warning"),
              ("HighErrorRate", f"{service}-checkout", "warning"), ("QueueBacklog", f"{service}-jobs", "warning")]
    return [{"labels": {"alertname": n, "service": s, "severity": sev}, "annotations": {"summary": f"{n} on {s}"},
             "startsAt": now} for n, s, sev in alerts]


def _texts(msg: dict) -> str:
    return json.dumps(msg.get("blocks", [])) + msg.get("text", "")


async def test_storm_shadow_then_promoted_auto_run_once_across_two_replicas(fresh_pg, prometheus, tmp_path):
    marker = tmp_path / "ran.txt"
    (tmp_path / "rb").mkdir()
    (tmp_path / "rb" / "restart-api.yaml").write_text(
        runbook_yaml(marker, mode="shadow").replace("for: 1m", "for: 0s"))
    config = OpsbotConfig.model_validate({
        "runbooks": {"dirs": [str(tmp_path / "rb")]},
        # Each storm's symptoms sit downstream of its root: one incident per storm.
        "alerts": {"default_channel": "ops", "depends_on": {
            f"{root}-{x}": [root] for root in ("api", "billing") for x in ("web", "checkout", "jobs")}},
        "auto": {"interval_s": 0.5},
        "policy": {"roles": {"admin": {"users": ["U0ALICE"]}, "sre": {"users": ["U0BOB"]}},
                   "rules": [{"action": "runbook:restart-api", "env": "production", "effect": "auto"},
                             {"action": "auto:promote", "roles": ["admin"], "effect": "approval",
                              "approval": {"approver_roles": ["sre"], "approvals": 1}}]}})
    settings = EngineSettings(OPSBOT_DATABASE_URL=fresh_pg, OPSBOT_PROMETHEUS_URL=prometheus)
    ports = [free_port(), free_port()]
    stack = await start_local_stack(settings, config, bot_port=ports[0], webhook_token=TOKEN)
    am_proc = None
    try:
        second = await stack.add_replica(config)
        am_proc, am_url = start_fanout_alertmanager(
            tmp_path, [f"{stack.bot.url}/webhooks/alertmanager", f"{second.url}/webhooks/alertmanager"])
        ws, am, eng = stack.workspace, AlertmanagerClient(am_url), stack.bot.engine

        def shadow_note() -> dict | None:
            # The note goes to the thread of the incident holding the root alert. Alertmanager
            # delivers the storm's four groups in any order, so which incident that is (and its
            # number) varies: look in every incident's thread.
            cards = [m for m in ws.messages("ops") if "incident #" in m.get("text", "")]
            return next((r for c in cards for r in ws.replies("ops", c["ts"]) if "would have run" in _texts(r)), None)

        # 1. Shadow: the storm's root alert matches; nothing runs; the thread says what would have.
        # The workspace keeps Slack's per-channel posting limit: behind a storm's cards and thread
        # replies the note can wait out a Retry-After, so allow as long as the auto storm below.
        # The first storm began 40 minutes before the second: the same root alert on two unrelated
        # roots within minutes is read as one cause by the grouping model (docs/grouping.md).
        await am.post_alerts(storm("api", minutes_ago=40))
        note = await ws.wait_for(shadow_note, timeout=60)
        assert "restart: run" in _texts(note) and not marker.exists()

        # 2. Promotion is an approved action: alice asks, bob approves in the channel.
        await ws.send_slash_command("alice", "ops", "auto promote restart-api/api-down")
        ask = await ws.wait_for(lambda: next((m for m in ws.messages("ops")
                                              if "promote trigger restart-api/api-down" in m.get("text", "")), None),
                                timeout=15)
        await ws.click("bob", "ops", ask["ts"], "approval_approve")

        async def promoted() -> bool:
            async with eng.db.session() as s:
                rows = (await s.exec(select(ApprovalRequest).where(ApprovalRequest.kind == "auto_mode"))).all()
            return bool(rows) and rows[0].state == "succeeded"
        for _ in range(100):
            if await promoted():
                break
            await ws.wait_for(lambda: True, timeout=0.1)
        assert await promoted()

        # 3. Auto: the next storm is remediated once across both replicas; verify queries Prometheus.
        await am.post_alerts(storm("billing"))
        resolved = await ws.wait_for(lambda: (c := next((m for m in ws.messages("ops") if "[resolved]" in m.get("text", "")
                                                          and "billing" in m.get("text", "")), None)) and c,
                                     timeout=60)
        assert "billing" in resolved["text"]
        assert marker.read_text() == "drain\nrestart\n"  # exactly once
        async with eng.db.session() as s:
            fires = (await s.exec(select(AutoFire).order_by(AutoFire.id))).all()
            runs = (await s.exec(select(ApprovalRequest).where(ApprovalRequest.kind == "runbook"))).all()
        assert [(f.mode, f.outcome) for f in fires] == [("shadow", ""), ("auto", "succeeded")]
        assert len(runs) == 1 and runs[0].state == "succeeded"
        assert [p["name"] for p in runs[0].progress] == ["drain", "restart", "healthy"]
        done = await ws.wait_for(lambda: next((r for r in ws.replies("ops", resolved["ts"])
                                               if "verify passed" in _texts(r)), None), timeout=20)
        assert done is not None
    finally:
        if am_proc is not None:
            await am.aclose()
        await stack.stop()
        if am_proc is not None:
            am_proc.terminate()
            am_proc.wait(timeout=10)
