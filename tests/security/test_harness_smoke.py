"""The harness itself: a served bot answers a signed `/ops help` and refuses a bad signature."""

from __future__ import annotations

from urllib.parse import urlencode


async def test_served_bot_answers_signed_command_and_refuses_forged(start_bot, sqlite_url):
    bot = await start_bot(sqlite_url)
    answer = await bot.command("U0ALICE", "help")
    assert answer.status == 200, bot.log_tail()
    body = urlencode({"command": "/ops", "text": "help", "user_id": "U0ALICE", "channel_id": "C0OPS",
                      "team_id": "T0LOCAL", "response_url": "", "trigger_id": "t"}).encode()
    status, _ = await bot.post_slack(body, headers=bot.signed_headers(body, secret="not-the-secret"))
    assert status == 401
    assert bot.alive()
