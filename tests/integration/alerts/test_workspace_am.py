"""A real Alertmanager delivers to the bot with a bearer token; the incident message lives in the workspace."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.stack import start_local_stack
from engine.adapters.alertmanager import AlertmanagerClient
from engine.config import OpsbotConfig
from engine.settings import EngineSettings
from tests.servers import free_port, start_alertmanager

TOKEN = "test-token"  # what tests.servers.start_alertmanager configures as the receiver's credentials


def _alert(name: str, instance: str, starts: datetime, ends: datetime | None = None) -> dict:
    a = {"labels": {"alertname": name, "service": "checkout", "severity": "critical", "instance": instance},
         "annotations": {"summary": f"{name} on checkout"}, "startsAt": starts.isoformat()}
    if ends:
        a["endsAt"] = ends.isoformat()
    return a


async def test_alertmanager_fires_updates_and_resolves_the_living_message(tmp_path):
    bot_port = free_port()
    am_proc, am_url = start_alertmanager(tmp_path, f"http://127.0.0.1:{bot_port}/webhooks/alertmanager")
    config = OpsbotConfig.model_validate({"alerts": {
        "routes": [{"match": {"severity": "critical"}, "channel": "#incidents"}], "default_channel": "#ops",
        "resolve_cooldown_s": 1, "tick_interval_s": 0.5, "alertmanager_url": am_url}})
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    stack = await start_local_stack(settings, config, bot_port=bot_port, webhook_token=TOKEN)
    ws, am = stack.workspace, AlertmanagerClient(am_url)

    def incident() -> dict | None:
        found = [m for m in ws.messages("#incidents") if " incident #" in m.get("text", "")]
        assert len(found) <= 1, "one incident, one message"
        return found[0] if found else None

    def fields() -> str:
        msg = incident()
        return str(msg["blocks"]) if msg else ""

    now = datetime.now(timezone.utc)
    try:
        await am.post_alerts([_alert("HighLatency", "a", now)])
        await ws.wait_for(incident, timeout=20)
        assert incident()["text"].startswith("[open] critical incident #") and "1 firing of 1" in fields()
        # More alerts of the same service: Alertmanager sends the grown group, the message is edited.
        await am.post_alerts([_alert("HighLatency", "a", now), _alert("HighLatency", "b", now),
                              _alert("HighErrorRate", "a", now)])
        await ws.wait_for(lambda: "3 firing of 3" in fields(), timeout=20)
        ts = incident()["ts"]
        await ws.wait_for(lambda: ws.replies("#incidents", ts), timeout=10)  # new alertname: a thread note
        assert "HighErrorRate" in " ".join(r["text"] for r in ws.replies("#incidents", ts))

        await ws.click("alice", "#incidents", ts, "alerts.silence")
        await ws.wait_for(lambda: "alerts.unsilence" in fields(), timeout=10)
        made = [s for s in await am.list_silences() if s.state == "active"]  # one per alert name
        assert made and all(s.created_by.startswith("alice") for s in made)
        assert all({m.name for m in s.matchers} == {"alertname", "service"} for s in made)
        assert len({next(m.value for m in s.matchers if m.name == "alertname") for s in made}) == len(made)
        # A silenced group gets no notifications, resolves included: expire them before resolving.
        await ws.click("alice", "#incidents", ts, "alerts.unsilence")
        await ws.wait_for(lambda: "alerts.silence" in fields() and "alerts.unsilence" not in fields(), timeout=10)
        states = {s.id: s.state for s in await am.list_silences()}
        assert all(states[s.id] == "expired" for s in made)

        past = datetime.now(timezone.utc) - timedelta(seconds=1)
        await am.post_alerts([_alert("HighLatency", "a", now, past), _alert("HighLatency", "b", now, past),
                              _alert("HighErrorRate", "a", now, past)])
        await ws.wait_for(lambda: incident()["text"].startswith("[resolved]"), timeout=30)
        assert incident()["ts"] == ts and "0 firing of 3" in fields()
    finally:
        await am.aclose()
        await stack.stop()
        am_proc.terminate()
        am_proc.wait(timeout=10)
