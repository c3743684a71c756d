"""Every refusal says what was wrong: huge numbers, odd digits, overflowing durations, forged
button values and a database that is down get a specific answer, never "Something went wrong"."""

from __future__ import annotations

import pytest

from engine.approvals.view import APPROVE
from tests.security.served import DEFAULT_CONFIG, bot_env, run_cli, write_config
from tests.servers import free_port

HUGE = "9" * 20
# The default config plus `/ops audit` for the sre role.
CONFIG = DEFAULT_CONFIG.replace("  rules:\n", '  rules:\n    - {action: "cmd:audit", roles: [sre], effect: allow}\n')
# (command text, words the answer must contain)
COMMANDS = [
    (f"audit #{HUGE}", "audit event number"),
    ("audit #²", "audit event number"),
    (f"audit {HUGE}", "number of events"),
    (f"incident {HUGE}", "incident id"),
    ("incident ¹²³", "incident id"),
    (f"why {'4' * 400}", "incident id"),
    ("drift m --window 99999999999999h", "too long"),
    (f"rca {HUGE}", "incident id"),
    (f"rca stats {HUGE}d", "period"),
    (f"stats {HUGE}d", "period"),
]


def _answer_text(answer) -> str:
    data = answer.json or {}
    return " ".join([answer.text, str(data.get("blocks", ""))])


async def test_each_bad_number_gets_a_specific_answer(start_bot, store_url):
    bot = await start_bot(store_url, config=CONFIG)
    for text, expected in COMMANDS:
        answer = await bot.command("U0ALICE", text)
        shown = _answer_text(answer)
        assert answer.status == 200, (text, answer.status, bot.log_tail())
        assert "Something went wrong" not in shown, (text, shown, bot.log_tail())
        assert expected in shown, (text, shown)
    assert "Traceback" not in bot.log_tail(100_000)
    assert bot.alive()


async def test_approve_with_a_forged_value_says_what_was_wrong(start_bot, sqlite_url):
    bot = await start_bot(sqlite_url)
    ws = bot.ws.workspace
    channel = ws.require_channel("C0OPS")
    blocks = [{"type": "actions", "block_id": "b1", "elements": [
        {"type": "button", "action_id": APPROVE, "text": {"type": "plain_text", "text": "Approve"},
         "value": "abc"}]}]
    msg = ws.post(channel, ws.bot_message("forged approval", blocks))
    assert (await bot.command("U0ALICE", "help")).status == 200  # the first request pays for imports
    answer = await bot.ws.interactions.click("U0ALICE", "C0OPS", msg["ts"], APPROVE)
    assert answer.status == 200, bot.log_tail()
    said = await ws.wait_for(lambda: [e for e in ws.ephemerals_for("U0ALICE") if "abc" in str(e)], timeout=10)
    text = str(said)
    assert "approval request id" in text and "Something went wrong" not in text, text


@pytest.mark.parametrize("argv", [("migrate",), ("audit", "verify"), ("audit", "export")])
def test_cli_with_the_database_down_exits_with_one_line(tmp_path, argv):
    env = bot_env(f"postgresql://postgres@127.0.0.1:{free_port()}/opsbot", write_config(tmp_path), None)
    done = run_cli(env, *argv)
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: database postgresql") and "not reachable" in lines[0], \
        done.stderr


def test_cli_on_an_unmigrated_database_says_to_migrate(tmp_path):
    env = bot_env(f"sqlite:///{tmp_path / 'empty.db'}", write_config(tmp_path), None)
    done = run_cli(env, "audit", "verify")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done
    assert "opsbot migrate" in done.stderr
