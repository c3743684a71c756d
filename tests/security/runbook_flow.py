"""Request, find and approve runbooks on a served bot, and read what the store recorded."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import col, select

from engine.audit.tables import AuditEvent
from engine.store.db import Database
from tests.security.served import DEFAULT_CONFIG, ServedBot

CHANNEL = "ops"


def config_with_secrets(*names: str) -> str:
    """Return the default served config with these environment variables usable as ${secret:NAME}."""
    return DEFAULT_CONFIG.replace("  dirs: [runbooks]\n", f"  dirs: [runbooks]\n  secret_names: {json.dumps(list(names))}\n")


def texts(msg: dict[str, Any] | None) -> str:
    """Return everything a person reads in a message (text and blocks)."""
    return "" if msg is None else msg.get("text", "") + json.dumps(msg.get("blocks", []))


async def card(bot: ServedBot, request_id: int, timeout: float = 20.0) -> dict[str, Any]:
    """Wait for the approval message of a request to be posted; return it."""
    prefix = f"#{request_id} "
    return await bot.ws.wait_for(lambda: next((m for m in bot.ws.messages(CHANNEL)
                                                if m.get("text", "").startswith(prefix)), None), timeout=timeout)


async def card_in_state(bot: ServedBot, ts: str, state: str, timeout: float = 30.0) -> dict[str, Any]:
    """Wait until the approval message `ts` shows a state; return it."""
    def find() -> dict[str, Any] | None:
        msg = next((m for m in bot.ws.messages(CHANNEL) if m["ts"] == ts), None)
        return msg if msg is not None and f": {state}" in msg.get("text", "") else None
    try:
        return await bot.ws.wait_for(find, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - say what the card did show
        now = next((m for m in bot.ws.messages(CHANNEL) if m["ts"] == ts), None)
        raise AssertionError(f"card never reached {state}: {texts(now)[:600]}\n{bot.log_tail()}") from exc


async def request_run(bot: ServedBot, user: str, text: str) -> str:
    """Send `/ops run ...` and return what the requester was answered."""
    answer = await bot.command(user, f"run {text}")
    assert answer.status == 200, bot.log_tail()
    reply = answer.json if answer.json and answer.json.get("blocks") else None
    if reply is None:
        reply = await bot.ws.wait_for(lambda: bot.ws.last_ephemeral(user), timeout=10)
    return texts(reply)


async def audit_trail(db_url: str, request_id: int) -> list[dict[str, Any]]:
    """Return the audit events of a request, oldest first, read straight from the store."""
    db = Database(db_url)
    try:
        async with db.session() as s:
            rows = (await s.exec(select(AuditEvent).where(col(AuditEvent.subject) == f"approval:{request_id}")
                                 .order_by(col(AuditEvent.seq)))).all()
            return [{"action": e.action, "data": e.data} for e in rows]
    finally:
        await db.dispose()
