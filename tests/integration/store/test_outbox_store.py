"""Outbox persistence on SQLite and PostgreSQL: coalescing, retries, thread ordering."""

from __future__ import annotations

from engine.core.clock import FakeClock
from engine.core.notices import Notice
from engine.core.outbox import MAX_ATTEMPTS, Outbox, emit


async def _emit(outbox: Outbox, key: str, title: str, thread_key: str | None = None) -> None:
    async with outbox.db.session() as s:
        await emit(s, Notice(key=key, channel="ops", template="core/notice",
                             context={"title": title}, thread_key=thread_key), outbox.clock.now())


async def test_pending_edits_of_a_key_coalesce_to_the_newest(db):
    outbox = Outbox(db, FakeClock())
    for i in range(4):
        await _emit(outbox, "incident:1", f"v{i}")
    await _emit(outbox, "incident:2", "other")
    due = await outbox.due()
    assert [(d.item.key, d.item.context["title"], d.superseded) for d in due] == [
        ("incident:1", "v3", 3), ("incident:2", "other", 0)]
    assert await outbox.depth() == 2


async def test_sent_items_leave_and_the_message_is_remembered(db):
    outbox = Outbox(db, FakeClock())
    await _emit(outbox, "k", "hello")
    [d] = await outbox.due()
    await outbox.claim_post(d.item)
    await outbox.mark_sent(d.item, "C1", "123.456")
    assert await outbox.depth() == 0
    msg = await outbox.message_for("k")
    assert (msg.channel, msg.ts, msg.state) == ("C1", "123.456", "posted")


async def test_retry_waits_and_gives_up_after_max_attempts(db):
    clock = FakeClock()
    outbox = Outbox(db, clock)
    await _emit(outbox, "k", "hello")
    [d] = await outbox.due()
    assert await outbox.retry_later(d.item, 30, "503 boom")
    assert await outbox.due() == []
    clock.advance(31)
    [d] = await outbox.due()
    assert d.item.attempts == 1
    d.item.attempts = MAX_ATTEMPTS - 1
    assert not await outbox.retry_later(d.item, 1, "503 boom")
    assert await outbox.depth() == 0


async def test_thread_reply_waits_for_its_parent(db):
    outbox = Outbox(db, FakeClock())
    await _emit(outbox, "child", "detail", thread_key="parent")
    assert await outbox.due() == []
    await _emit(outbox, "parent", "top")
    [parent] = await outbox.due()
    await outbox.mark_sent(parent.item, "C1", "1.0")
    [child] = await outbox.due()
    assert child.thread_ts == "1.0"


async def test_rate_limit_defers_the_whole_channel(db):
    clock = FakeClock()
    outbox = Outbox(db, clock)
    await _emit(outbox, "a", "1")
    await _emit(outbox, "b", "2")
    await outbox.defer_channel("ops", clock.now().replace(year=2030))
    assert await outbox.due() == []
