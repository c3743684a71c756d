"""Incident channels, postmortem drafts and the Home tab through the served bot and the local workspace."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.stack import LocalStack, start_local_stack
from bot.workspace import WorkspaceConfig
from engine.actor import Actor
from engine.approvals.types import Plan
from engine.config import OpsbotConfig
from engine.settings import EngineSettings
from engine.warroom.naming import channel_name, with_suffix

TOKEN = "incident-command-token"
ROOT = Path(__file__).resolve().parents[3]


def _config(auto: list[str]) -> OpsbotConfig:
    return OpsbotConfig.model_validate({
        "alerts": {"routes": [{"match": {"severity": "critical"}, "channel": "#incidents"}],
                   "default_channel": "#incidents", "resolve_cooldown_s": 1, "tick_interval_s": 0.5,
                   "incident_channel": {"auto_severities": auto, "invite_groups": ["S0ONCALL"]}},
        "policy": {"roles": {"sre": {"users": ["U0ALICE", "U0BOB"]}},
                   "rules": [{"action": "runbook:*", "roles": ["sre"], "effect": "approval",
                              "approval": {"approver_roles": ["sre"], "approvals": 1}}]},
    })


async def _stack(tmp_path: Path, auto: list[str]) -> LocalStack:
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    ws_config = WorkspaceConfig(signing_secret="", bot_token="", rate_per_second=0)
    return await start_local_stack(settings, _config(auto), webhook_token=TOKEN, workspace_config=ws_config)


@pytest.fixture
async def stack(tmp_path) -> AsyncIterator[LocalStack]:
    s = await _stack(tmp_path, [])
    yield s
    await s.stop()


def _am(name: str, severity: str, starts: datetime, ends: datetime | None = None) -> dict[str, Any]:
    alert = {"status": "resolved" if ends else "firing",
             "labels": {"alertname": name, "service": "checkout", "severity": severity},
             "annotations": {"summary": f"{name} on checkout"}, "startsAt": starts.isoformat(),
             "endsAt": (ends or datetime(1, 1, 1, tzinfo=timezone.utc)).isoformat(),
             "generatorURL": "", "fingerprint": f"fp-{name}"}
    return {"receiver": "opsbot", "status": alert["status"], "alerts": [alert], "groupLabels": {"alertname": name},
            "commonLabels": alert["labels"], "commonAnnotations": {}, "externalURL": "http://am", "version": "4",
            "groupKey": f'{{}}:{{alertname="{name}"}}', "truncatedAlerts": 0}


async def _post(stack: LocalStack, body: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(stack.bot.url + "/webhooks/alertmanager", data=json.dumps(body).encode(),
                             headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}) as r:
            assert r.status == 200, await r.text()


def _card(stack: LocalStack, channel: str = "#incidents") -> dict[str, Any] | None:
    found = [m for m in stack.workspace.messages(channel) if " incident #" in m.get("text", "")]
    return found[0] if found else None


def _buttons(msg: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in msg.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def _without_notes(msg: dict[str, Any]) -> list[dict[str, Any]]:
    # The two cards differ only in the context line (a link there, "pinned copy" here).
    return [{k: v for k, v in b.items() if k != "block_id"} for b in msg["blocks"] if b["type"] != "context"]


def _new_channels(stack: LocalStack) -> list[Any]:
    return [c for c in stack.workspace.workspace.channels.values() if c.members is not None]


async def test_open_channel_invites_pins_and_keeps_both_cards_in_step(stack):
    ws = stack.workspace
    await _post(stack, _am("HighLatency", "warning", datetime.now(timezone.utc)))
    card = await ws.wait_for(lambda: _card(stack) if _card(stack) and "warroom.open" in _buttons(_card(stack)) else None,
                             timeout=15)
    # Someone already took the natural name: the incident's channel gets the next one.
    client = AsyncWebClient(token=stack.bot_settings.slack_bot_token.get_secret_value(), base_url=ws.api_url)
    assert card["text"].endswith("incident #1: HighLatency on checkout")
    taken = channel_name("inc", 1, "HighLatency on checkout")
    assert taken == "inc-1-highlatency-on-checkout"
    await client.conversations_create(name=taken)

    await ws.click("alice", "#incidents", card["ts"], "warroom.open")
    room = await ws.wait_for(lambda: next((c for c in _new_channels(stack) if c.name != taken), None), timeout=10)
    assert room.name == with_suffix(taken, 2)
    # The requester, then the on-call group (bob, carol); the bot created it.
    await ws.wait_for(lambda: len(ws.members(room.id)) > 1, timeout=10)
    assert ws.members(room.id) == ["U0OPSBOT", "U0ALICE", "U0BOB", "U0CAROL"]
    copy = await ws.wait_for(lambda: _card(stack, room.id), timeout=10)
    await ws.wait_for(lambda: ws.pins(room.id) == [copy["ts"]], timeout=10)
    await ws.wait_for(lambda: f"<#{room.id}>" in json.dumps(_card(stack)["blocks"]), timeout=10)
    assert "warroom.open" not in _buttons(_card(stack))
    assert "pinned copy of the card in #incidents" in json.dumps(copy["blocks"])

    # A change on the incident edits both cards from the same state.
    await ws.click("bob", "#incidents", card["ts"], "alerts.ack")
    await ws.wait_for(lambda: "acknowledged by" in json.dumps(_card(stack, room.id)["blocks"])
                      and "acknowledged by" in json.dumps(_card(stack)["blocks"]), timeout=10)
    assert _without_notes(_card(stack)) == _without_notes(_card(stack, room.id))
    assert _card(stack)["text"] == _card(stack, room.id)["text"]

    await ws.click("carol", "#incidents", card["ts"], "alerts.resolve")
    await ws.wait_for(lambda: _card(stack)["text"].startswith("[resolved]")
                      and _card(stack, room.id)["text"].startswith("[resolved]"), timeout=10)
    assert "postmortem.draft" in _buttons(_card(stack)) and "postmortem.draft" in _buttons(_card(stack, room.id))
    assert len(_new_channels(stack)) == 2 and len(ws.messages(room.id)) == 1


async def test_a_second_click_opens_no_second_channel(stack):
    ws = stack.workspace
    await _post(stack, _am("DiskFull", "warning", datetime.now(timezone.utc)))
    card = await ws.wait_for(lambda: _card(stack), timeout=15)
    # Two people click before the card changes: one channel, and the second is told about it.
    await ws.click("alice", "#incidents", card["ts"], "warroom.open")
    await ws.click("bob", "#incidents", card["ts"], "warroom.open")
    eph = await ws.wait_for(lambda: ws.last_ephemeral("bob"), timeout=10)
    room = await ws.wait_for(lambda: next(iter(_new_channels(stack)), None), timeout=10)
    assert (eph["text"] == "The channel of incident #1 is being created."
            or eph["text"] == f"Incident #1 already has a channel: <#{room.id}>"), eph["text"]
    await ws.wait_for(lambda: _card(stack, room.id), timeout=10)
    assert len(_new_channels(stack)) == 1 and ws.members(room.id)[:2] == ["U0OPSBOT", "U0ALICE"]


async def test_auto_severity_channel_and_postmortem_timeline(tmp_path):
    stack = await _stack(tmp_path, ["critical"])
    ws = stack.workspace
    try:
        t0 = datetime.now(timezone.utc) - timedelta(minutes=5)
        await _post(stack, _am("ErrorBudgetBurn", "critical", t0))
        room = await ws.wait_for(lambda: next(iter(_new_channels(stack)), None), timeout=15)
        await ws.wait_for(lambda: len(ws.members(room.id)) > 1, timeout=10)
        assert room.name == "inc-1-errorbudgetburn-on-checkout" and ws.members(room.id) == ["U0OPSBOT", "U0BOB", "U0CAROL"]
        card = await ws.wait_for(lambda: _card(stack), timeout=10)
        await ws.click("alice", "#incidents", card["ts"], "alerts.ack")
        await ws.wait_for(lambda: "acknowledged by" in json.dumps(_card(stack)["blocks"]), timeout=10)
        # Bob takes command and leaves an action item; the postmortem lists it.
        await ws.click("bob", "#incidents", card["ts"], "alerts.take")
        await ws.wait_for(lambda: "bob" in json.dumps(_card(stack)["blocks"]).lower(), timeout=10)
        await ws.click("bob", "#incidents", card["ts"], "alerts.note")
        await ws.wait_for(lambda: ws.open_view("bob"), timeout=10)
        await ws.submit_view("bob", {"note": "todo: page on budget burn before it reaches 2x"})
        home = await stack.bot.engine.home.items(Actor("U0BOB", "bob"))
        assert [i["role"] for i in home.incidents] == ["commander"], home.incidents
        await _post(stack, _am("ErrorBudgetBurn", "critical", t0, datetime.now(timezone.utc)))
        await ws.wait_for(lambda: _card(stack)["text"].startswith("[resolved]"), timeout=15)

        await ws.click("alice", "#incidents", card["ts"], "postmortem.draft")
        reply = await ws.wait_for(lambda: next((r for r in ws.replies("#incidents", card["ts"]) if r.get("files")),
                                               None), timeout=10)
        draft = ws.file(reply["files"][0]["id"])["data"].decode()
        rows = [line for line in draft.splitlines() if line.startswith("| 20")]
        kinds = [r.split("**")[1] for r in rows]
        # Alert first, then the card, the channel, the ack, the alert resolving and the incident resolving.
        assert kinds.index("alert") < kinds.index("posted") < kinds.index("acknowledged") < kinds.index("resolved")
        assert any("incident.channel_opened" in r for r in rows)
        assert [r.split(" | ")[0] for r in rows] == sorted(r.split(" | ")[0] for r in rows)
        assert "#inc-1-errorbudgetburn-on-checkout" in draft and "ErrorBudgetBurn: 1" in draft
        assert "- [ ] page on budget burn before it reaches 2x (noted by bob)" in draft, draft

        # /ops postmortem in another channel: the draft still goes into the incident's thread.
        answer = await ws.send_slash_command("bob", "#ops", "postmortem 1")
        await ws.wait_for(lambda: len([r for r in ws.replies("#incidents", card["ts"]) if r.get("files")]) == 2,
                          timeout=10)
        assert answer.status == 200

        # The same draft, downloaded with the CLI from the database alone.
        out = tmp_path / "pm.md"
        done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot.main", "postmortem", "1", "-o",
                                                        str(out), "--database-url", f"sqlite:///{tmp_path / 'opsbot.db'}"],
                                       capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        assert out.read_text().split("## Impact")[1] == draft.split("## Impact")[1]
    finally:
        await stack.stop()


async def test_home_tab_shows_each_person_their_own_items(stack):
    ws, engine = stack.workspace, stack.bot.engine
    await _post(stack, _am("QueueBacklog", "warning", datetime.now(timezone.utc)))
    card = await ws.wait_for(lambda: _card(stack), timeout=15)
    await ws.click("bob", "#incidents", card["ts"], "alerts.ack")
    await ws.wait_for(lambda: "acknowledged by" in json.dumps(_card(stack)["blocks"]), timeout=10)

    for who in ("alice", "bob", "carol"):
        assert (await ws.open_home(who)).status == 200
    await ws.wait_for(lambda: all(ws.home(p) for p in ("alice", "bob", "carol")), timeout=10)
    text = {p: json.dumps(ws.home(p)["blocks"]) for p in ("alice", "bob", "carol")}
    assert "#1* QueueBacklog" in text["bob"] and "QueueBacklog" not in text["alice"]
    assert "Nothing to approve" in text["alice"] and "Nothing to approve" in text["carol"]

    # Bob asks for a runbook approval: Alice's open tab is re-published with it, Bob's and Carol's are not.
    bob = Actor("U0BOB", "bob")
    decision = await engine.policy.decide(bob, "runbook:restart", "production")
    await engine.approvals.request(bob, Plan(kind="runbook", title="Restart checkout", env="production"),
                                   decision, "ops")
    await ws.wait_for(lambda: "Restart checkout" in json.dumps(ws.home("alice")["blocks"]), timeout=10)
    assert "Restart checkout" not in json.dumps(ws.home("bob")["blocks"])  # his own request
    assert "Restart checkout" not in json.dumps(ws.home("carol")["blocks"])  # not an approver
