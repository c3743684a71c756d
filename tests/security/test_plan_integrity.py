"""An approved plan is the plan that runs: an edited plan row is refused at approval, audited and
shown, and nothing runs; a button that does not carry its plan hash is refused."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

from sqlalchemy import update
from sqlmodel import col, select

from engine.approvals.tables import ApprovalRequest
from engine.approvals.types import plan_hash
from engine.store.db import Database
from tests.security.runbook_flow import CHANNEL, audit_trail, card, card_in_state, request_run, texts
from tests.security.served import click_with_value

WRITE = "import sys; open(sys.argv[1], 'w').write(sys.argv[2])"


def _runbook(tmp: Path) -> str:
    return f"""
name: touch
description: Write a marker file.
environment: production
parameters:
  word: {{type: string, pattern: "^[a-z]+$"}}
steps:
  - name: write
    type: command
    argv: [{json.dumps(sys.executable)}, -c, {json.dumps(WRITE)}, {json.dumps(str(tmp / "ran.txt"))}, "${{word}}"]
"""


async def _tamper(db_url: str, request_id: int, target: Path, *, rehash: bool) -> None:
    """Point the stored plan's command at another file, as someone with database write access would."""
    db = Database(db_url)
    try:
        async with db.session() as s:
            row = (await s.exec(select(ApprovalRequest).where(col(ApprovalRequest.id) == request_id))).one()
            plan = copy.deepcopy(row.plan)
            plan["targets"]["steps"][0]["argv"][3] = str(target)
            plan["targets"]["steps"][0]["argv"][4] = "evil"
            values: dict = {"plan": plan}
            if rehash:
                values["plan_hash"] = plan_hash(plan)
            await s.exec(update(ApprovalRequest).where(col(ApprovalRequest.id) == request_id).values(**values))
    finally:
        await db.dispose()


async def _approve_tampered(start_bot, db_url: str, tmp: Path, *, rehash: bool) -> tuple[dict, list[dict]]:
    bot = await start_bot(db_url, runbooks={"touch": _runbook(tmp)})
    assert "Approval requested (#1)" in await request_run(bot, "alice", "touch word=fine")
    msg = await card(bot, 1)
    await _tamper(db_url, 1, tmp / "tampered.txt", rehash=rehash)
    await bot.ws.click("bob", CHANNEL, msg["ts"], "approval_approve")
    shown = await card_in_state(bot, msg["ts"], "conflict")
    refusal = await bot.ws.wait_for(lambda: next((e for e in bot.ws.ephemerals("bob")
                                                  if "not executed" in texts(e)), None), timeout=10)
    assert not (tmp / "ran.txt").exists() and not (tmp / "tampered.txt").exists()
    assert "approval_approve" not in texts(shown)  # no button left to try again
    return {"card": texts(shown), "refusal": texts(refusal)}, await audit_trail(db_url, 1)


async def test_an_edited_plan_keeping_its_old_hash_is_refused(start_bot, store_url, tmp_path):
    seen, trail = await _approve_tampered(start_bot, store_url, tmp_path, rehash=False)
    for where in seen.values():
        assert "does not match the hash it was requested with" in where
    actions = [e["action"] for e in trail]
    assert actions[0] == "approval.requested" and "approval.conflict" in actions
    assert not any(a.startswith("run.") for a in actions)
    assert "does not match the hash" in trail[-1]["data"]["reason"]


async def test_an_edited_plan_with_a_recomputed_hash_is_refused(start_bot, store_url, tmp_path):
    # The audit event of the request still holds the hash it was requested with.
    seen, trail = await _approve_tampered(start_bot, store_url, tmp_path, rehash=True)
    for where in seen.values():
        assert "differs from the one recorded in the audit log" in where
    assert "approval.conflict" in [e["action"] for e in trail]


async def test_a_button_without_its_plan_hash_is_refused(start_bot, store_url, tmp_path):
    bot = await start_bot(store_url, runbooks={"touch": _runbook(tmp_path)})
    assert "Approval requested (#1)" in await request_run(bot, "alice", "touch word=fine")
    msg = await card(bot, 1)
    refusal = "does not carry the request id and plan hash"
    for n, value in enumerate(("1", "1:", "1:abc", "1:" + "0" * 15), 1):
        # Not asserting the HTTP status: Bolt may answer a listener that acked and then raised with
        # 404 "unhandled request"; the person sees the refusal either way.
        await click_with_value(bot, "bob", CHANNEL, msg["ts"], "approval_approve", value)
        await bot.ws.wait_for(lambda n=n: sum(refusal in texts(e) for e in bot.ws.ephemerals("bob")) >= n,
                              timeout=10)
    actions = [e["action"] for e in await audit_trail(store_url, 1)]
    assert "approval.vote_approve" not in actions and "approval.approved" not in actions, actions
    # The real button still works: the refusals decided nothing.
    await bot.ws.click("bob", CHANNEL, msg["ts"], "approval_approve")
    await card_in_state(bot, msg["ts"], "succeeded")
    assert (tmp_path / "ran.txt").read_text() == "fine"
