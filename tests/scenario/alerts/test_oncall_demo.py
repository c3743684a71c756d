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
    stack = await _demo_stack(tmp_path)
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



async def _demo_stack(tmp_path):
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    cfg = OpsbotConfig.model_validate({"alerts": {**demo_alerts_config(), **demo_owners()},
                                       "oncall": demo_oncall_config(tmp_path / "demo")})
    return await start_local_stack(settings, cfg, webhook_token="demo-token")


def _alert(service: str, now: datetime) -> bytes:
    return json.dumps({"receiver": "opsbot", "status": "firing", "groupLabels": {}, "commonLabels": {},
                       "commonAnnotations": {}, "externalURL": "http://am:9093", "version": "4", "groupKey": "g",
                       "truncatedAlerts": 0, "alerts": [
                           {"status": "firing", "labels": {"alertname": "HighLatency", "service": service,
                                                           "severity": "warning"}, "annotations": {},
                            "startsAt": now.isoformat(), "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "",
                            "fingerprint": f"{service}-latency"}]}).encode()


async def test_the_rotations_on_call_finds_their_teams_open_incidents_on_home(tmp_path):
    # A person on call had to look through the channel: Home listed only what they commanded or acknowledged.
    stack = await _demo_stack(tmp_path)
    ws, engine = stack.workspace, stack.bot.engine
    try:
        now = datetime.now(timezone.utc)
        await engine.alerts.receive("alertmanager", _alert("web-20", now))
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


async def test_a_calendar_naming_people_by_full_name_finds_them_on_the_published_home_tab(tmp_path):
    # The backend calendar names people "Carol Chen"; app_home_opened carries only a user id, so the
    # tab the bot publishes looks the viewer up (users.info) before matching.
    stack = await _demo_stack(tmp_path)
    ws, engine = stack.workspace, stack.bot.engine
    try:
        now = datetime.now(timezone.utc)
        await engine.alerts.receive("alertmanager", _alert("svc-10", now))
        (inc,) = await engine.alerts.queries.incidents("open")
        (full,) = engine.oncall.now_for("backend", now).people
        (person,) = [u for u in ws.workspace.users.values() if u.real_name == full]
        assert (await ws.open_home(person.name)).status == 200
        tab = await ws.wait_for(lambda: json.dumps(ws.home(person.name)["blocks"]) if ws.home(person.name) else None,
                                timeout=10)
        assert f"*#{inc.id}* HighLatency on svc-10" in tab and "you are on call for backend" in tab, tab
        assert "*backend*: " + full + "  \\u00b7  :wave: you" in tab, tab
    finally:
        await stack.stop()
