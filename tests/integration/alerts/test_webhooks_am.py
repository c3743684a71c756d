"""The webhook endpoints over real HTTP, and a real Alertmanager delivering to them.

The bot is built by bot.runtime.build_runtime from settings (engine.wiring.build_engine inside), as
`opsbot serve` builds it: its web app, its webhook token, its limits and its metrics."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.metrics import Metrics
from bot.runtime import Runtime, build_runtime
from bot.settings import BotSettings
from tests.servers import start_alertmanager
from engine.actor import Actor
from engine.adapters.alertmanager import AlertmanagerClient
from engine.alerts.tables import AlertRow, IncidentRow
from engine.config import OpsbotConfig
from engine.core.outbox_tables import OutboxItem
from engine.settings import EngineSettings

CAPTURE = Path(__file__).resolve().parents[2] / "fixtures" / "alerts" / "webhook-v4-firing-then-resolved.jsonl"
TOKEN = "test-token"


async def _serve(db_url: str, alerts: dict, port: int = 0, **env: str) -> Runtime:
    """Build the bot from settings and serve it on loopback (the store migrated; no background jobs,
    so the tests tick and read the outbox themselves; Slack is never called)."""
    bot = BotSettings(SLACK_BOT_TOKEN=SecretStr("xoxb-test"), SLACK_SIGNING_SECRET=SecretStr("test-secret"),
                      SLACK_API_URL="http://127.0.0.1:9/api/", OPSBOT_WEBHOOK_TOKEN=SecretStr(TOKEN))
    runtime = build_runtime(bot, EngineSettings(OPSBOT_DATABASE_URL=db_url, **env),
                            OpsbotConfig.model_validate({"alerts": alerts}))
    await runtime.start("127.0.0.1", port, background=False)
    return runtime


@pytest.fixture
async def served(store_url):
    """The bot's web app on a loopback port over SQLite or PostgreSQL, bodies limited to 64 KiB."""
    runtime = await _serve(store_url, {"limits": {"max_body_bytes": 64 * 1024}})
    yield runtime.url, runtime.deps.metrics, runtime.engine.alerts
    await runtime.stop()


def _rejections(metrics: Metrics, reason: str) -> float:
    return metrics.registry.get_sample_value("opsbot_webhook_rejections_total",
                                             {"source": "alertmanager", "reason": reason}) or 0.0


async def test_auth_and_validation_errors_name_the_problem(served):
    url, metrics, _ = served
    firing = CAPTURE.read_text().splitlines()[0].encode()
    bearer = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    basic = {"Authorization": "Basic " + base64.b64encode(f"am:{TOKEN}".encode()).decode(),
             "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as http:
        async def post(headers, body=firing, path="/webhooks/alertmanager"):
            async with http.post(url + path, data=body, headers=headers) as r:
                return r.status, await r.json()
        assert (await post({"Content-Type": "application/json"}))[0] == 401
        status, doc = await post({"Authorization": "Bearer nope", "Content-Type": "application/json"})
        assert status == 401 and doc["message"] == "wrong webhook token"
        status, doc = await post({"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/plain"})
        assert status == 415
        status, doc = await post(bearer, body=b"{not json")
        assert status == 400 and "not valid JSON" in doc["message"]
        status, doc = await post(bearer, body=json.dumps({"version": "3"}).encode())
        assert status == 400 and "version" in doc["message"]
        status, doc = await post(bearer, body=b"{" + b" " * 70000 + b"}")
        assert status == 413
        status, doc = await post(basic)
        assert status == 200 and doc["alerts"] == 1 and not doc["duplicate"]
        status, doc = await post(bearer)
        assert status == 200 and doc["duplicate"]
        generic = {"source": "cron", "alerts": [{"labels": {"alertname": "BackupFailed"},
                                                  "startsAt": "2026-11-27T12:00:00Z"}]}
        status, doc = await post(bearer, json.dumps(generic).encode(), "/webhooks/alerts")
        assert status == 200 and doc["alerts"] == 1
    assert _rejections(metrics, "unauthorized") == 2
    assert _rejections(metrics, "invalid_payload") == 2 and _rejections(metrics, "payload_too_large") == 1


async def _wait_for(predicate, timeout: float = 20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.2)
    raise AssertionError("condition not met in time")


async def test_real_alertmanager_fires_updates_resolves_and_silences(tmp_path):
    from tests.servers import free_port

    port = free_port()
    am_proc, am_url = start_alertmanager(tmp_path, f"http://127.0.0.1:{port}/webhooks/alertmanager")
    am = AlertmanagerClient(am_url)  # the test's own client: it plays Prometheus and reads silences
    runtime = await _serve(f"sqlite:///{tmp_path / 'opsbot.db'}", {"resolve_cooldown_s": 0}, port,
                           OPSBOT_ALERTMANAGER_URL=am_url)
    svc, db = runtime.engine.alerts, runtime.engine.db
    now = datetime.now(timezone.utc)

    def alert(name, instance, ends=None):
        a = {"labels": {"alertname": name, "service": "checkout", "severity": "warning", "instance": instance},
             "annotations": {"summary": f"{name} on checkout"}, "startsAt": now.isoformat()}
        if ends:
            a["endsAt"] = ends.isoformat()
        return a

    async def incidents():
        async with db.session() as s:
            return (await s.execute(select(IncidentRow))).scalars().all()

    async def notices():
        async with db.session() as s:
            return (await s.execute(select(OutboxItem).order_by(OutboxItem.id))).scalars().all()

    try:
        await am.post_alerts([alert("HighLatency", "a"), alert("HighLatency", "b")])
        (inc,) = await _wait_for(incidents)
        await am.post_alerts([alert("HighLatency", "a"), alert("HighLatency", "b"), alert("HighErrorRate", "a")])
        await _wait_for(lambda: _count_alerts(incidents, 3))
        sids = await svc.silence(inc.id, Actor("U9", "ann"), hours=1)
        listed = {s.id: s for s in await am.list_silences()}
        assert set(sids) <= set(listed) and all("ann" in listed[x].created_by for x in sids)
        # One silence per alert name, each on the services it fires on.
        assert sorted(sorted((m.name, m.value) for m in listed[x].matchers) for x in sids) == [
            [("alertname", "HighErrorRate"), ("service", "checkout")],
            [("alertname", "HighLatency"), ("service", "checkout")]]
        # A silenced group gets no notifications at all, resolves included: expire them first.
        await svc.expire_silence(inc.id, "all", Actor("U9", "ann"))
        assert {s.id: s.state for s in await am.list_silences() if s.id in sids} == {x: "expired" for x in sids}
        past = datetime.now(timezone.utc) - timedelta(seconds=1)
        await am.post_alerts([alert("HighLatency", "a", past), alert("HighLatency", "b", past),
                              alert("HighErrorRate", "a", past)])
        await _wait_for(lambda: _firing_gone(db, incidents))
        await svc.tick()
        (done,) = await incidents()
        assert done.status == "resolved"
        keys = [n.key for n in await notices() if n.thread_key is None]
        assert set(keys) == {f"incident:{inc.id}"} and len(keys) >= 2  # posted once, then edited
        assert (await notices())[-1].context.get("status") in ("resolved", None)
    finally:
        await runtime.stop()
        await am.aclose()
        am_proc.terminate()
        am_proc.wait(timeout=10)


async def _count_alerts(incidents, n):
    rows = await incidents()
    return rows and rows[0].alert_count >= n


async def _firing_gone(db, incidents):
    rows = await incidents()
    async with db.session() as s:
        firing = (await s.execute(select(AlertRow).where(AlertRow.status == "firing"))).scalars().all()
    return rows and not firing and (rows[0].resolve_due_at or rows[0].status == "resolved")
