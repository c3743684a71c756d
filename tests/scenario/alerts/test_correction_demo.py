"""The demo splits one storm incident and merges another by clicking, and `/ops stats` counts both."""

from __future__ import annotations

import json
import re

from bot.stack import start_local_stack
from engine.config import OpsbotConfig
from engine.lab.alerts.demo import demo_alerts_config, seed_alert_storm, seed_corrections
from engine.settings import EngineSettings
from tests.scenario.alerts.conftest import incident_messages


async def test_demo_shows_a_split_and_a_merged_incident(tmp_path):
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    stack = await start_local_stack(settings, OpsbotConfig.model_validate({"alerts": demo_alerts_config()}),
                                    webhook_token="demo-token")
    try:
        await seed_alert_storm(stack)
        note = await seed_corrections(stack)
        split, merged, into = map(int, re.search(r"out of incident #(\d+); bob merged #(\d+) into #(\d+)", note).groups())
        assert split == into and merged != into
        msgs = incident_messages(stack)
        merged_card = next(m for m in msgs if m["text"].startswith(f"[merged into #{into}]"))
        assert "alerts.merge" not in str(merged_card["blocks"])
        big = next(m for m in msgs if f" incident #{split}:" in m["text"])
        await stack.workspace.wait_for(lambda: any("split out to incident" in r.get("text", "")
                                                   for r in stack.workspace.replies("#incidents", big["ts"])),
                                       timeout=30)
        answer = await stack.workspace.send_slash_command("alice", "#ops", "stats")
        assert "1 split, 1 merge" in json.dumps(answer.json)
    finally:
        await stack.stop()
