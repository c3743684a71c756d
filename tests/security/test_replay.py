"""Replays are harmless: a signed request re-sent inside Slack's 5-minute window runs once,
on one replica or across two sharing a database."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from tests.security.served import DEFAULT_CONFIG, ServedBot, start_served
from tests.servers import create_pg_database, drop_pg_database

# `runbook:count` is allowed outright: one signed slash command is one execution.
ALLOW_CONFIG = DEFAULT_CONFIG.replace("  rules:\n", """  rules:
    - action: "runbook:count"
      roles: [sre]
      effect: allow
""")


def count_runbook(tally: Path) -> dict[str, str]:
    """A runbook whose only step appends a line to `tally`, so executions can be counted."""
    return {"count": f"""\
name: count
description: Append one line to a file per execution.
risk: low
environment: production
steps:
  - name: tally
    type: command
    argv: [{sys.executable}, -c, "import sys; open(sys.argv[1], 'a').write('run\\\\n')", "{tally}"]
    timeout: 30s
"""}


def runs(tally: Path) -> int:
    """Return how many executions the tally file records."""
    return tally.read_text().count("run\n") if tally.exists() else 0


async def settle(tally: Path, at_least: int, quiet_s: float = 3.0, timeout: float = 30.0) -> int:
    """Wait for `at_least` executions, then for `quiet_s` without a new one; return the count."""
    deadline = time.monotonic() + timeout
    while runs(tally) < at_least and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    seen = runs(tally)
    await asyncio.sleep(quiet_s)  # any repeat that slipped through would run in this time
    assert runs(tally) == seen
    return seen


async def send_three_times(bots: list[ServedBot], body: bytes) -> list[int]:
    """Send the same signed bytes (same timestamp and signature) three times, round robin."""
    headers = bots[0].signed_headers(body)
    statuses = []
    for i in range(3):
        status, _ = await bots[i % len(bots)].post_slack(body, headers=headers)
        statuses.append(status)
    return statuses


async def test_same_signed_command_sent_three_times_runs_once(start_bot, store_url, tmp_path):
    tally = tmp_path / "tally.txt"
    bot = await start_bot(store_url, config=ALLOW_CONFIG, runbooks=count_runbook(tally))
    body = bot.slash_form("U0ALICE", "run count")
    assert await send_three_times([bot], body) == [200, 200, 200], bot.log_tail()
    assert await settle(tally, at_least=1) == 1, bot.log_tail()
    # A fresh signature for the same command is a new request: it runs.
    status, _ = await bot.post_slack(bot.slash_form("U0ALICE", "run count"))
    assert status == 200
    assert await settle(tally, at_least=2) == 2
    # Three copies at once (claimed in one batch) still run once.
    body = bot.slash_form("U0ALICE", "run count")
    headers = bot.signed_headers(body)
    answers = await asyncio.gather(*(bot.post_slack(body, headers=headers) for _ in range(3)))
    assert [status for status, _ in answers] == [200, 200, 200]
    assert await settle(tally, at_least=3) == 3
    assert bot.alive()


async def test_replay_across_two_replicas_on_one_postgresql_runs_once(tmp_path):
    url = create_pg_database()
    bots: list[ServedBot] = []
    try:
        tally = tmp_path / "tally.txt"
        first = await start_served(tmp_path, url, ALLOW_CONFIG, count_runbook(tally))
        bots.append(first)
        bots.append(await start_served(tmp_path, url, ALLOW_CONFIG, count_runbook(tally), ws=first.ws))
        body = first.slash_form("U0BOB", "run count")
        assert await send_three_times(bots, body) == [200, 200, 200], first.log_tail()
        assert await settle(tally, at_least=1) == 1, first.log_tail() + bots[1].log_tail()
        assert all(b.alive() for b in bots)
    finally:
        for b in bots:
            await b.stop()
        if bots:
            await bots[0].ws.stop()
        drop_pg_database(url)


async def test_prune_drops_only_pairs_past_the_window(store_url):
    from datetime import datetime, timezone

    from sqlalchemy import func, select

    from engine.core.replays import ReplayGuard, SeenRequest
    from engine.store.db import Database
    from engine.store.migrate import migrate

    db = Database(store_url)
    try:
        await migrate(db)
        guard = ReplayGuard(db)
        now = int(time.time())
        for age in (0, 299, 601, 3600):
            assert await guard.first_time("slack", now - age, f"v0=sig{age}")
        assert not await guard.first_time("slack", now - 299, "v0=sig299")
        assert await guard.prune(datetime.fromtimestamp(now, timezone.utc)) == 2
        async with db.engine.connect() as conn:
            left = sorted((await conn.execute(select(SeenRequest.ts))).scalars())
            assert left == [now - 299, now] and (await conn.execute(select(func.count()).select_from(SeenRequest))).scalar() == 2
        assert not await guard.first_time("slack", now, "v0=sig0")  # still remembered
    finally:
        await db.dispose()
