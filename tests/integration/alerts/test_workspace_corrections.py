"""Split… and Merge into… clicked in the local workspace against a bot built as `opsbot serve` builds it."""

from __future__ import annotations

import json

import aiohttp

from bot.stack import start_local_stack
from engine.config import OpsbotConfig
from engine.settings import EngineSettings

TOKEN = "test-token"


def _body(alerts: list[tuple[str, str, str]], group: str) -> bytes:
    items = [{"status": "firing", "labels": {"alertname": n, "service": s, "severity": "critical", "instance": i},
              "annotations": {}, "startsAt": "2026-12-06T12:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
              "generatorURL": "", "fingerprint": f"{n}-{s}-{i}"} for n, s, i in alerts]
    return json.dumps({"receiver": "opsbot", "status": "firing", "alerts": items, "groupLabels": {"service": "x"},
                       "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am:9093",
                       "version": "4", "groupKey": group, "truncatedAlerts": 0}).encode()


async def _deliver(url: str, body: bytes) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/webhooks/alertmanager", data=body, headers={
                "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}) as r:
            assert r.status < 300, await r.text()


async def test_split_and_merge_from_the_incident_message(tmp_path):
    config = OpsbotConfig.model_validate({"alerts": {
        "routes": [{"match": {"severity": "critical"}, "channel": "#incidents"}], "default_channel": "#ops"}})
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    stack = await start_local_stack(settings, config, webhook_token=TOKEN)
    ws, engine = stack.workspace, stack.bot.engine

    def card(n: int) -> dict | None:
        found = [m for m in ws.messages("#incidents") if f" incident #{n}:" in m.get("text", "")]
        return found[0] if found else None

    try:
        await _deliver(stack.bot.url, _body([("HighLatency", "checkout", "a"), ("HighLatency", "checkout", "b"),
                                             ("HighErrorRate", "checkout", "a")], "g1"))
        await ws.wait_for(lambda: card(1) and "3 firing of 3" in str(card(1)["blocks"]), timeout=20)
        ts = card(1)["ts"]

        # Split…: a form with one checkbox per alert; all of them is refused inside the form.
        await ws.click("alice", "#incidents", ts, "alerts.split")
        view = await ws.wait_for(lambda: ws.open_view("alice"), timeout=10)
        pick = view["blocks"][1]["element"]
        assert pick["type"] == "checkboxes" and len(pick["options"]) == 3
        every = [o["value"] for o in pick["options"]]
        await ws.submit_view("alice", {"alerts": every})
        assert "leave at least one" in ws.view_errors("alice")["alerts"]
        disk = [v for v in every if "HighErrorRate" in v]
        await ws.submit_view("alice", {"alerts": disk})
        assert ws.open_view("alice") is None
        await ws.wait_for(lambda: card(2) and "1 firing of 1" in str(card(2)["blocks"]), timeout=20)
        await ws.wait_for(lambda: "2 firing of 2" in str(card(1)["blocks"]), timeout=20)
        await ws.wait_for(lambda: any("split out to incident #2 by" in r.get("text", "")
                                      for r in ws.replies("#incidents", ts)), timeout=20)

        # Merge into…: incident 2 goes back into 1 and its card says so.
        await ws.click("bob", "#incidents", card(2)["ts"], "alerts.merge")
        view = await ws.wait_for(lambda: ws.open_view("bob"), timeout=10)
        assert [o["value"] for o in view["blocks"][1]["element"]["options"]] == ["1"]
        await ws.submit_view("bob", {"target": "1"})
        await ws.wait_for(lambda: card(2)["text"].startswith("[merged into #1]"), timeout=20)
        assert "merged into incident #1" in str(card(2)["blocks"]) and "alerts.split" not in str(card(2)["blocks"])
        await ws.wait_for(lambda: "3 firing of 3" in str(card(1)["blocks"]), timeout=20)

        # Audited with the clicker, counted in /ops stats.
        events = [e for e in await engine.audit.recent(10) if e.action.startswith("incident:")]
        assert {(e.action, e.subject) for e in events} == {("incident:split", "incident:1"),
                                                          ("incident:merge", "incident:2")}
        answer = await ws.send_slash_command("alice", "#ops", "stats 7d")
        assert "1 split, 1 merge" in json.dumps(answer.json)
    finally:
        await stack.stop()
