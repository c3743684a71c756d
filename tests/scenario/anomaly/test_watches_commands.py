"""`/ops watches` and `/ops watch mute|unmute` as people use them in the workspace."""

from __future__ import annotations

from bot.stack import start_local_stack
from engine.lab.anomaly.demo import WATCH, demo_watches, seed_anomaly_demo
from engine.config import OpsbotConfig
from engine.settings import EngineSettings


async def test_watches_list_mute_and_the_demo_incident(tmp_path):
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    stack = await start_local_stack(settings, OpsbotConfig.model_validate({"watches": demo_watches(tmp_path)}))
    ws = stack.workspace
    try:
        # The anomaly first: a watch muted while the scheduler scores it learns those points
        # silently, so muting before the demo incident would make this test depend on timing.
        note = await seed_anomaly_demo(stack)
        assert "#incidents" in note
        await ws.send_slash_command("alice", "ops", "watches")
        listing = str(ws.last_ephemeral("alice")["blocks"])
        assert f"*{WATCH}*  ·  firing" in listing and "last score" in listing
        await ws.send_slash_command("alice", "ops", "watch mute checkout-latency")
        await ws.wait_for(lambda: any("muted by alice" in str(m.get("blocks")) for m in ws.messages("ops")), 20)
        await ws.send_slash_command("alice", "ops", "watches")
        listing = str(ws.last_ephemeral("alice")["blocks"])
        assert "checkout-latency" in listing and "muted by alice" in listing
        await ws.send_slash_command("bob", "ops", "watch unmute checkout-latency")
        await ws.wait_for(lambda: any("unmuted by bob" in str(m.get("blocks")) for m in ws.messages("ops")), 20)
        await ws.send_slash_command("bob", "ops", "watch mute nope")
        assert "no watch named" in str(ws.last_ephemeral("bob"))
    finally:
        await stack.stop()
