"""The demo's owners and rotations: storm incidents name their team and on-call; platform and backend are paged once."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from bot.render import render
from bot.stack import start_local_stack
from engine.actor import Actor
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


async def test_the_rotations_on_call_finds_their_teams_open_incidents_on_home(tmp_path):
    # A person on call had to look through the channel: Home listed only what they commanded or acknowledged.
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    cfg = OpsbotConfig.model_validate({"alerts": {**demo_alerts_config(), **demo_owners()},
                                       "oncall": demo_oncall_config(tmp_path / "demo")})
    stack = await start_local_stack(settings, cfg, webhook_token="demo-token")
    ws, engine = stack.workspace, stack.bot.engine
    try:
        now = datetime.now(timezone.utc)
        body = {"receiver": "opsbot", "status": "firing", "groupLabels": {}, "commonLabels": {},
                "commonAnnotations": {}, "externalURL": "http://am:9093", "version": "4", "groupKey": "g",
                "truncatedAlerts": 0, "alerts": [
                    {"status": "firing", "labels": {"alertname": "HighLatency", "service": "web-20",
                                                    "severity": "warning"}, "annotations": {},
                     "startsAt": now.isoformat(), "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "",
                     "fingerprint": "web20-latency"}]}
        await engine.alerts.receive("alertmanager", json.dumps(body).encode())
        (inc,) = await engine.alerts.queries.incidents("open")
        (name,) = engine.oncall.now_for("web", now).people  # the rotation names Slack names
        home = await engine.home.items(Actor(ws.workspace.user(name).id, name))
        assert [(i["id"], i["role"]) for i in home.incidents] == [(inc.id, "on call for web")]
        assert next(o for o in home.oncall if o["team"] == "web")["you"]
        shown = json.dumps(render("home/home", home.__dict__))
        assert "you are on call for web" in shown and ":wave: you" in shown
        other = next(n for n in ("alice", "bob", "carol") if n != name)
        assert not (await engine.home.items(Actor(ws.workspace.user(other).id, other))).incidents
    finally:
        await stack.stop()
