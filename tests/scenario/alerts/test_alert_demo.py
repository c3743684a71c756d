"""The demo's alert storm, posted through the real webhooks, collapses into a few living incidents."""

from __future__ import annotations

import re

from bot.stack import start_local_stack
from engine.lab.alerts.demo import demo_alerts_config, seed_alert_storm
from engine.config import OpsbotConfig
from engine.settings import EngineSettings
from tests.scenario.alerts.conftest import button_ids, incident_messages


async def test_demo_storm_collapses_with_working_buttons(tmp_path):
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    stack = await start_local_stack(settings, OpsbotConfig.model_validate({"alerts": demo_alerts_config()}),
                                    webhook_token="demo-token")
    try:
        note = await seed_alert_storm(stack)
        alerts, incidents = map(int, re.match(r"(\d+) alerts in \d+ webhook deliveries -> (\d+) incidents", note).groups())
        assert 1 <= incidents <= 6 and alerts >= 10 * incidents, note
        msgs = incident_messages(stack)
        assert len(msgs) == incidents
        # No Alertmanager in the demo: no Silence button, and the message says why.
        assert all("alerts.silence" not in button_ids(m) for m in msgs)
        # ...on every incident with an Alertmanager alert (the generic webhook's noise has none to silence).
        sources = {f"incident:{i.id}": i.sources for i in await stack.bot.engine.alerts.queries.incidents("all", limit=50)}
        from_am = [m for m in msgs if "alertmanager" in sources[m["metadata"]["event_payload"]["key"]]]
        assert from_am and all("not configured" in str(m["blocks"]) for m in from_am)
        assert all("not configured" not in str(m["blocks"]) for m in msgs if m not in from_am)
        ts = msgs[0]["ts"]
        await stack.workspace.click("bob", "#incidents", ts, "alerts.ack")
        await stack.workspace.wait_for(lambda: next(m for m in incident_messages(stack) if m["ts"] == ts)
                                       ["text"].startswith("[acknowledged]"), timeout=30)
    finally:
        await stack.stop()
