"""Outbox persistence on SQLite and PostgreSQL: coalescing, retries, thread ordering."""

from __future__ import annotations

from engine.core.clock import FakeClock
from engine.core.notices import Notice
from sqlalchemy import select

from engine.core.outbox import MAX_ATTEMPTS, Outbox, emit, emit_many
from engine.core.outbox_tables import OutboxItem


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


async def test_emit_many_writes_the_rows_emit_writes_in_order_after_earlier_orm_notices(db):
    clock = FakeClock()
    outbox = Outbox(db, clock)
    ctx = {"title": "é ✓", "n": [1, 2.5, None], "nested": {"a": True}}
    async with db.session() as s:
        await emit(s, Notice(key="a", channel="ops", template="core/notice", context=ctx), clock.now())
        await emit_many(s, [Notice(key="b", channel="ops", template="core/notice", context=ctx),
                            Notice(key="a:1", channel="ops", template="core/notice", context={"title": "t"},
                                   thread_key="a")], clock.now())
        await emit_many(s, [], clock.now())  # nothing to write: no statement
    async with db.session() as s:
        rows = (await s.execute(select(OutboxItem).order_by(OutboxItem.id))).scalars().all()
    assert [(r.key, r.thread_key, r.state, r.attempts, r.context) for r in rows] == [
        ("a", None, "pending", 0, ctx), ("b", None, "pending", 0, ctx), ("a:1", "a", "pending", 0, {"title": "t"})]
    assert {r.created_at.replace(tzinfo=None) for r in rows} == {clock.now().replace(tzinfo=None)}
    assert [d.item.key for d in await outbox.due()] == ["a", "b"]  # the reply waits for its parent


async def test_emit_many_alone_commits_and_rolls_back_with_its_transaction(db):
    clock = FakeClock()
    outbox = Outbox(db, clock)
    try:
        async with db.session() as s:
            await emit_many(s, [Notice(key="gone", channel="ops", template="core/notice")], clock.now())
            raise RuntimeError("the transaction fails after the emit")
    except RuntimeError:
        pass
    assert await outbox.depth() == 0
    async with db.session() as s:
        await emit_many(s, [Notice(key="kept", channel="ops", template="core/notice")], clock.now())
    assert [d.item.key for d in await outbox.due()] == ["kept"]
