"""`/ops help` and friends through the local workspace, as Slack would send them."""

from __future__ import annotations

import time


async def test_help_lists_commands_and_is_acknowledged_fast(stack):
    started = time.perf_counter()
    answer = await stack.workspace.send_slash_command("alice", "ops", "help")
    elapsed = time.perf_counter() - started
    assert elapsed < 3.0
    assert answer.status == 200
    text = str(answer.json)
    assert "/ops help" in text
    shown = stack.workspace.last_ephemeral("alice")
    assert shown is not None and "Opsbot commands" in str(shown["blocks"])


async def test_unknown_subcommand_suggests_the_closest(stack):
    await stack.workspace.send_slash_command("alice", "ops", "hlep")
    shown = stack.workspace.last_ephemeral("alice")
    assert "Did you mean `/ops help`" in str(shown["blocks"])


async def test_unbalanced_quote_is_a_helpful_error(stack):
    await stack.workspace.send_slash_command("alice", "ops", 'help "oops')
    shown = stack.workspace.last_ephemeral("alice")
    assert "close the quotes" in str(shown)


async def test_help_takes_the_topics_people_type(stack):
    """`/ops help incidents` (the title people read), a command name, or a plural all narrow it."""
    for topic, header in [("incidents", "Incidents"), ("promote", "Models"), ("runbook", "Runbooks"),
                          ("watches", "Metric watches"), ("alerts", "Incidents")]:
        await stack.workspace.send_slash_command("alice", "ops", f"help {topic}")
        shown = str(stack.workspace.last_ephemeral("alice")["blocks"])
        assert f"Opsbot commands · {header}" in shown, (topic, shown[:300])
    await stack.workspace.send_slash_command("alice", "ops", "help bogus")
    shown = str(stack.workspace.last_ephemeral("alice")["blocks"])
    assert "there is no help on `bogus`" in shown and "incidents" in shown
