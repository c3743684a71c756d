"""The demo's owners and rotations: storm incidents name their team and on-call; platform and backend are paged once."""

from __future__ import annotations

from bot.stack import start_local_stack
from engine.config import OpsbotConfig
from engine.lab.alerts.demo import demo_alerts_config, seed_alert_storm
from engine.lab.oncall_demo import demo_oncall_config, demo_owners
from engine.settings import EngineSettings
from tests.scenario.alerts.conftest import incident_messages


async def test_demo_incidents_name_owner_and_oncall(tmp_path):
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    cfg = OpsbotConfig.model_validate({"alerts": {**demo_alerts_config(), **demo_owners()},
                                       "oncall": demo_oncall_config(tmp_path / "demo")})
    stack = await start_local_stack(settings, cfg, webhook_token="demo-token")
    ws = stack.workspace
    try:
        answer = str((await ws.send_slash_command("alice", "#ops", "oncall")).json)
        for team in ("*platform*: ", "*backend*: ", "*web*: "):
            assert team in answer, answer
        assert "backend-oncall.ics" in answer and ("Carol Chen" in answer or "Alice Archer" in answer)
        await seed_alert_storm(stack)
        msgs = incident_messages(stack)
        assert msgs and all("*Owner*" in str(m["blocks"]) and "on call: " in str(m["blocks"]) for m in msgs)

        def pages() -> dict[str, list[str]]:
            return {m["ts"]: [r["text"] for r in ws.replies("#incidents", m["ts"]) if "<!subteam^" in r["text"]]
                    for m in msgs}
        await ws.wait_for(lambda: any(pages().values()), timeout=30)
        for m in msgs:  # web has no group: only platform and backend incidents page, each at most once
            got = pages()[m["ts"]]
            assert len(got) <= 1 and (not got or "*Owner*\\nweb" not in str(m["blocks"])), (m["text"], got)
    finally:
        await stack.stop()
