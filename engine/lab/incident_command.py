"""Demo seed: the cascade's incident gets its channel, a confirmed cause, a resolve and a postmortem."""

from __future__ import annotations

import json
from typing import Any

from engine.lab.rca.demo import incident_message


def _buttons(msg: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in msg.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


async def seed_incident_command(ctx: Any, channel: str = "incidents") -> str:
    """Open the RCA demo incident's channel as alice, confirm its top hypothesis, resolve it, draft its postmortem."""
    ws = ctx.stack.workspace
    msg = incident_message(ws, channel, contains="HighLatency")
    if msg is None:
        raise RuntimeError("the hypotheses demo incident is not there (its seed failed)")
    inc_id = int(msg["text"].split(" incident #")[1].split(":")[0])

    def card() -> dict[str, Any]:
        found: dict[str, Any] = next(m for m in ws.messages(channel) if m["ts"] == msg["ts"])
        return found

    await ws.click("alice", channel, msg["ts"], "warroom.open")
    await ws.wait_for(lambda: "<#C" in json.dumps(card()["blocks"]), timeout=20)
    # Bob confirms the top hypothesis in the thread; it becomes the draft's root cause.
    reply = next((r for r in reversed(ws.replies(channel, msg["ts"])) if "rca.confirm" in json.dumps(r.get("blocks"))),
                 None)
    if reply is not None:  # the first hypothesis's Confirmed button
        block = next(b for b in reply["blocks"] if b["type"] == "actions"
                     and any(e.get("action_id") == "rca.confirm" for e in b["elements"]))
        await ws.click("bob", channel, reply["ts"], "rca.confirm", block_id=block["block_id"])
    await ws.click("bob", channel, msg["ts"], "alerts.ack")
    await ws.wait_for(lambda: "acknowledged by" in json.dumps(card()["blocks"]), timeout=20)
    await ws.click("carol", channel, msg["ts"], "alerts.resolve")
    await ws.wait_for(lambda: "postmortem.draft" in _buttons(card()), timeout=20)
    await ws.click("carol", channel, msg["ts"], "postmortem.draft")
    await ws.wait_for(lambda: any(r.get("files") for r in ws.replies(channel, msg["ts"])), timeout=20)
    room = next(c for c in ws.workspace.channels.values() if c.name.startswith(f"inc-{inc_id}-"))
    return (f"incident #{inc_id} got #{room.name} (card pinned there, alice, bob and carol invited), was resolved, "
            f"and its postmortem draft is in the thread (also `opsbot postmortem {inc_id} -o pm.md`)")
