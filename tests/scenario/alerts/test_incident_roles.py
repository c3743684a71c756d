"""Through the local workspace: the owner is paged once, the card says what the alert says and who is on
call, and Take, Add note, Resolve and Reopen (inside and after the window) work with signed requests."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

import pytest

from bot.stack import LocalStack, start_local_stack
from engine.config import OpsbotConfig
from engine.settings import EngineSettings
from tests.scenario.alerts.conftest import CAPTURE, TOKEN, button_ids, incident_messages, post_webhook

FIRING, _ = CAPTURE.read_text().splitlines()
REOPEN_WINDOW_S = 4


@pytest.fixture
async def owned_stack(tmp_path) -> AsyncIterator[LocalStack]:
    """Critical incidents go to #incidents; the `ml` team owns the fraud model and carol holds its rotation."""
    cfg = OpsbotConfig.model_validate({
        "alerts": {"routes": [{"match": {"severity": "critical"}, "channel": "#incidents"}],
                   "default_channel": "#ops", "resolve_cooldown_s": 1, "tick_interval_s": 0.5,
                   "reopen_window_s": REOPEN_WINDOW_S,
                   "owners": [{"match": {"model": "fraud"}, "team": "ml", "usergroup": "S0ONCALL"}]},
        "oncall": {"schedules": [{"team": "ml", "rotation": {
            "people": ["carol", "bob"], "start": "2026-01-01T00:00:00Z", "shift_hours": 1_000_000}}]}})
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    stack = await start_local_stack(settings, cfg, webhook_token=TOKEN)
    yield stack
    await stack.stop()


def _card(stack, ts: str) -> dict:
    return next(m for m in stack.workspace.messages("#incidents") if m["ts"] == ts)


def _replies(stack, ts: str) -> list[str]:
    return [r["text"] for r in stack.workspace.replies("#incidents", ts)]


def _mentions(stack) -> list[str]:
    """Every message (channel and threads) that mentions a user group."""
    ws = stack.workspace
    out = []
    for m in ws.messages("#incidents"):
        out += [str(x) for x in [m, *ws.replies("#incidents", m["ts"])] if "<!subteam^" in str(x)]
    return out


async def test_owner_paged_once_then_take_note_resolve_reopen(owned_stack):
    ws = owned_stack.workspace
    assert (await post_webhook(owned_stack, FIRING))[0] == 200
    await ws.wait_for(lambda: incident_messages(owned_stack), timeout=10)
    (card,) = incident_messages(owned_stack)
    ts, blocks = card["ts"], str(card["blocks"])
    inc_id = card["text"].split("#")[1].split(":")[0]
    # What the alert says, who owns it, who is on call, where to look.
    assert "accuracy dropped" in blocks and "*Owner*\\nml\\non call: carol" in blocks
    assert {"alerts.link.source", "alerts.take", "alerts.note"} <= set(button_ids(card))
    assert "http://prometheus.local/graph?g0.expr=model_accuracy" in blocks
    # The owning group is mentioned once, in the thread, naming the on-call.
    await ws.wait_for(lambda: _mentions(owned_stack), timeout=10)
    (page,) = _replies(owned_stack, ts)
    assert page.startswith("<!subteam^S0ONCALL>") and f"incident #{inc_id} opened" in page

    await ws.click("alice", "#incidents", ts, "alerts.take")
    await ws.wait_for(lambda: "*Commander*\\n<@U0ALICE>" in str(_card(owned_stack, ts)["blocks"]), timeout=10)
    assert _card(owned_stack, ts)["text"].startswith("[acknowledged]")
    await ws.wait_for(lambda: any("alice is incident commander" in r for r in _replies(owned_stack, ts)), timeout=10)

    await ws.click("bob", "#incidents", ts, "alerts.note")
    await ws.wait_for(lambda: ws.open_view("bob"), timeout=10)
    await ws.submit_view("bob", {"note": "   "})
    assert "empty" in ws.view_errors("bob").get("note", "")  # the modal stays open with the reason
    await ws.submit_view("bob", {"note": "rolled back fraud to v6 <!channel>"})
    assert ws.open_view("bob") is None
    await ws.wait_for(lambda: any("note by bob: rolled back fraud to v6" in r for r in _replies(owned_stack, ts)),
                      timeout=10)
    # The user's words are data: no @channel reaches Slack's parser.
    assert not any("<!channel>" in r for r in _replies(owned_stack, ts))
    detail = (await ws.send_slash_command("alice", "#ops", f"incident {inc_id}")).json
    assert "note by bob: rolled back fraud to v6" in str(detail)

    await ws.click("carol", "#incidents", ts, "alerts.resolve")
    await ws.wait_for(lambda: _card(owned_stack, ts)["text"].startswith("[resolved]"), timeout=10)
    await ws.wait_for(lambda: any("resolved by carol" in r for r in _replies(owned_stack, ts)), timeout=10)
    resolved_reply = next(r for r in _replies(owned_stack, ts) if "resolved by carol" in r)
    assert "<@" not in resolved_reply and "<!" not in resolved_reply  # resolving pings nobody

    await ws.click("alice", "#incidents", ts, "alerts.reopen")
    await ws.wait_for(lambda: _card(owned_stack, ts)["text"].startswith("[open]"), timeout=10)
    await ws.wait_for(lambda: any("reopened by alice" in r for r in _replies(owned_stack, ts)), timeout=10)
    assert "<@U0ALICE>" in str(_card(owned_stack, ts)["blocks"])  # still the commander

    # Past the reopen window the button refuses and says why; the card stays resolved.
    await ws.click("carol", "#incidents", ts, "alerts.resolve")
    await ws.wait_for(lambda: _card(owned_stack, ts)["text"].startswith("[resolved]"), timeout=10)
    await asyncio.sleep(REOPEN_WINDOW_S + 0.5)
    await ws.click("alice", "#incidents", ts, "alerts.reopen")
    await ws.wait_for(lambda: any("new occurrence" in str(e) for e in ws.ephemerals("alice")), timeout=10)
    assert _card(owned_stack, ts)["text"].startswith("[resolved]")

    # Across every post and edit, one mention of the group: the page. The card never carries one.
    assert len(_mentions(owned_stack)) == 1 and "subteam" not in str(_card(owned_stack, ts))


async def test_oncall_command_answers_per_team(owned_stack):
    ws = owned_stack.workspace
    answer = (await ws.send_slash_command("alice", "#ops", "oncall")).json
    assert "*ml*: carol" in str(answer) and "rotation in opsbot.yaml" in str(answer)
    answer = (await ws.send_slash_command("alice", "#ops", "oncall search")).json
    assert "no on-call schedule for team 'search'" in str(answer) and "ml" in str(answer)
