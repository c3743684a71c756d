"""The outbox through the local workspace: pacing, 429 handling, coalescing, restarts."""

from __future__ import annotations

import asyncio

import pytest

from bot.stack import start_local_stack
from bot.workspace import WorkspaceConfig
from engine.config import OpsbotConfig
from engine.core.notices import Notice
from engine.settings import EngineSettings


def _notice(key: str, title: str, channel: str = "ops") -> Notice:
    return Notice(key=key, channel=channel, template="core/notice", context={"title": title, "text": ""})


async def _drain_until(runtime, predicate, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "outbox did not drain in time"
        await runtime.notifier.drain()
        await asyncio.sleep(0.05)


@pytest.fixture
async def manual_stack(tmp_path):
    """A stack whose notifier only runs when the test calls drain()."""
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    ws = WorkspaceConfig(signing_secret="", bot_token="", rate_per_second=2.0, rate_burst=1)
    stack = await start_local_stack(settings, OpsbotConfig(), workspace_config=ws, background=False)
    yield stack
    await stack.stop()


async def test_429_is_retried_after_retry_after_and_nothing_is_lost(manual_stack):
    bot = manual_stack.bot
    bot.notifier.rate, bot.notifier.burst = 100.0, 100.0  # pace faster than the workspace allows
    for i in range(5):
        await bot.engine.notify(_notice(f"n{i}", f"message {i}"))
    ws = manual_stack.workspace
    await _drain_until(bot, lambda: len(ws.messages("ops")) == 5)
    titles = [m["text"] for m in ws.messages("ops")]
    assert titles == [f"message {i}" for i in range(5)]  # in order, none twice
    limited = bot.deps.metrics.slack_api_errors.labels("chat", "ratelimited")._value.get()
    assert limited >= 1
    assert await bot.engine.outbox.depth() == 0


async def test_edits_of_one_message_are_coalesced_into_one_update(manual_stack):
    bot, ws = manual_stack.bot, manual_stack.workspace
    await bot.engine.notify(_notice("incident:1", "v0"))
    await _drain_until(bot, lambda: len(ws.messages("ops")) == 1)
    for v in range(1, 6):
        await bot.engine.notify(_notice("incident:1", f"v{v}"))
    await bot.notifier.drain()
    assert [m["text"] for m in ws.messages("ops")] == ["v5"]
    assert bot.deps.metrics.notices_sent.labels("update")._value.get() == 1
    assert await bot.engine.outbox.depth() == 0


async def test_thread_replies_wait_for_their_parent(manual_stack):
    bot, ws = manual_stack.bot, manual_stack.workspace
    await bot.engine.notify(Notice(key="incident:2:detail", channel="ops", template="core/notice",
                                   context={"title": "detail", "text": ""}, thread_key="incident:2"))
    await bot.notifier.drain()
    assert ws.messages("ops") == []
    await bot.engine.notify(_notice("incident:2", "parent"))
    await _drain_until(bot, lambda: ws.messages("ops") and ws.replies("ops", ws.messages("ops")[0]["ts"]))
    assert ws.replies("ops", ws.messages("ops")[0]["ts"])[0]["text"] == "detail"


async def test_restart_after_a_post_reached_slack_does_not_post_twice(manual_stack):
    bot, ws = manual_stack.bot, manual_stack.workspace
    await bot.engine.notify(_notice("incident:3", "first"))
    # Crash between chat.postMessage and recording its ts: claim, post, then "die".
    [delivery] = await bot.engine.outbox.due()
    await bot.engine.outbox.claim_post(delivery.item)
    await bot.notifier.client.chat_postMessage(
        channel="ops", text="first", metadata={"event_type": "opsbot_notice", "event_payload": {"key": "incident:3"}})
    await bot.engine.notify(_notice("incident:3", "second"))
    # A new replica on the same database picks the work up.
    await bot.stop()
    manual_stack.runtimes.clear()
    replica = await manual_stack.add_replica(OpsbotConfig())
    await replica.engine.scheduler.stop()
    await _drain_until(replica, lambda: ws.messages("ops") and ws.messages("ops")[-1]["text"] == "second")
    assert [m["text"] for m in ws.messages("ops")] == ["second"]
    assert await replica.engine.outbox.depth() == 0


async def test_restart_after_a_thread_reply_reached_slack_does_not_reply_twice(manual_stack):
    bot, ws = manual_stack.bot, manual_stack.workspace
    await bot.engine.notify(_notice("incident:4", "parent"))
    await _drain_until(bot, lambda: ws.messages("ops"))
    parent_ts = ws.messages("ops")[0]["ts"]
    await bot.engine.notify(Notice(key="incident:4:update:1", channel="ops", template="core/notice",
                                   context={"title": "detail", "text": ""}, thread_key="incident:4"))
    # Crash between the reply's chat.postMessage and recording its ts. Thread replies are not
    # in conversations.history: the new replica must look in the thread.
    [delivery] = await bot.engine.outbox.due()
    await bot.engine.outbox.claim_post(delivery.item)
    await asyncio.sleep(1.1)  # the workspace paces chat.postMessage like Slack (this fixture: burst 1)
    await bot.notifier.client.chat_postMessage(
        channel="ops", thread_ts=parent_ts, text="detail",
        metadata={"event_type": "opsbot_notice", "event_payload": {"key": "incident:4:update:1"}})
    await bot.stop()
    manual_stack.runtimes.clear()
    replica = await manual_stack.add_replica(OpsbotConfig())
    await replica.engine.scheduler.stop()
    await _drain_until(replica, lambda: replica.deps.metrics.notices_sent.labels("recovered")._value.get() == 1)
    assert [m["text"] for m in ws.replies("ops", parent_ts)] == ["detail"]
    assert await replica.engine.outbox.depth() == 0


async def test_notices_queued_while_down_are_sent_after_start(manual_stack):
    bot, ws = manual_stack.bot, manual_stack.workspace
    await bot.engine.notify(_notice("k1", "queued while down"))
    await bot.stop()
    manual_stack.runtimes.clear()
    replica = await manual_stack.add_replica(OpsbotConfig())
    await replica.engine.scheduler.stop()
    await _drain_until(replica, lambda: len(ws.messages("ops")) == 1)
    assert ws.messages("ops")[0]["text"] == "queued while down"
