"""Audit anchors: an old `seq:hash` still verifies after the chain grows; a rewritten tail and a
rewrite of the whole chain (consistent hashes and all) fail against the published anchors."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from sqlalchemy import text

from engine.api import Engine
from tests.security.served import DEFAULT_CONFIG, bot_env, run_cli

RUNBOOK = """\
name: hello
description: Say hello in the channel.
steps:
  - name: say
    type: notify
    message: hello
"""
CONFIG = DEFAULT_CONFIG + ("audit:\n  anchor_file: anchors/audit.jsonl\n  anchor_channel: ops\n"
                           "  anchor_interval_s: 1\n")


def _anchors(path: Path) -> list[str]:
    return [json.loads(line)["anchor"] for line in path.read_text().splitlines()] if path.exists() else []


async def _head(eng: Engine) -> str:
    seq, digest = await eng.audit.head()
    return f"{seq}:{digest}"


async def _wait_anchor(path: Path, eng: Engine, timeout: float = 30.0) -> str:
    """Wait until the published anchors reach the current head; return it."""
    head = await _head(eng)
    for _ in range(int(timeout / 0.25)):
        if _anchors(path) and _anchors(path)[-1] == head:
            return head
        await asyncio.sleep(0.25)
    raise AssertionError(f"head {head} never published; file has {_anchors(path)}")


async def _forge(eng: Engine, keep_up_to: int, n: int) -> None:
    """Act as someone with database write access who knows the hash recipe: cut the chain after
    `keep_up_to`, then append `n` forged events so every hash is consistent again."""
    async with eng.db.engine.begin() as c:
        await c.execute(text(f"DELETE FROM audit_event WHERE seq > {keep_up_to}"))
        if keep_up_to:
            await c.execute(text(f"UPDATE audit_head SET seq = {keep_up_to}, hash = "
                                 f"(SELECT hash FROM audit_event WHERE seq = {keep_up_to})"))
        else:
            await c.execute(text("DELETE FROM audit_head"))
    for i in range(n):  # the recipe is the engine's own audit log
        await eng.audit.record(actor="U0MALLORY", action="approval.requested", subject=f"forged:{i}",
                               data={"note": "nothing to see"})


async def test_anchors_pass_growth_and_catch_rewrites(start_bot, store_url, engine_of, tmp_path):
    bot = await start_bot(store_url, config=CONFIG, runbooks={"hello": RUNBOOK})
    store = engine_of(bot)  # another engine on the bot's store, built from its settings
    file = tmp_path / "anchors" / "audit.jsonl"
    for _ in range(2):
        answer = await bot.command("U0ALICE", "run hello")
        assert answer.status == 200, bot.log_tail()
    old = await _wait_anchor(file, store)
    old_seq = int(old.split(":")[0])
    assert old_seq >= 2
    assert f"audit anchor {old}" in bot.log_tail(100_000)  # the log carries every anchor too
    ws = bot.ws.workspace
    await ws.wait_for(lambda: any(f"Audit anchor {old}" in m.get("text", "")
                                  for m in ws.history(ws.require_channel("ops"))), timeout=15)

    await bot.command("U0BOB", "run hello")  # legitimate growth
    await _wait_anchor(file, store)
    grown = bot.cli("audit", "verify", "--expect-head", old)
    assert grown.returncode == 0, grown
    plain = bot.cli("audit", "verify")  # checks audit.anchor_file of the config by itself
    assert plain.returncode == 0 and f"holds {len(_anchors(file))} anchors" in plain.stdout, plain

    # Rewrite the tail: the last event is replaced, hashes recomputed, so the chain is consistent.
    head_seq = int((await _head(store)).split(":")[0])
    tail = (await _head(store))
    await _forge(store, head_seq - 1, 1)
    no_anchor_env = bot_env(store_url, tmp_path / "no-such-config.yaml", None)
    no_anchor_env.pop("OPSBOT_CONFIG")
    assert run_cli(no_anchor_env, "audit", "verify").returncode == 0  # the chain alone cannot tell
    caught = bot.cli("audit", "verify", "--expect-head", tail)
    assert caught.returncode == 1 and f"BROKEN at seq {head_seq}" in caught.stdout, caught
    assert bot.cli("audit", "verify").returncode == 1  # the published anchors catch it too
    assert bot.cli("audit", "verify", "--expect-head", old).returncode == 0  # older history untouched

    # Rewrite everything: a whole new consistent chain, longer than the old one.
    await _forge(store, 0, head_seq + 3)
    assert run_cli(no_anchor_env, "audit", "verify").returncode == 0
    caught = bot.cli("audit", "verify", "--anchors", str(file))
    assert caught.returncode == 1 and "rewritten" in caught.stdout, caught
    assert re.search(r"BROKEN at seq \d+", caught.stdout)
    # The running bot refuses to publish an anchor over a chain that lost its last one.
    await asyncio.sleep(2.5)
    assert "no longer holds anchor" in bot.log_tail(100_000)
    assert _anchors(file)[-1] != await _head(store)
    # An anchor file with nothing in it is an error, not a silent pass.
    empty = tmp_path / "empty.txt"
    empty.write_text("nothing here\n")
    refused = bot.cli("audit", "verify", "--anchors", str(empty))
    assert refused.returncode == 2 and "no SEQ:HASH anchors" in refused.stderr, refused
