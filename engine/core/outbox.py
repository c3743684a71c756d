"""The persisted outbox: notices are written with the state change that caused them and
drained by the bot's notifier, so nothing is lost or sent twice across a restart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

import orjson
from sqlalchemy import func, or_, select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.core.clock import Clock, utc
from engine.core.notices import Notice
from engine.core.outbox_tables import OutboxItem, SlackMessage
from engine.store.bulk import Bulk
from engine.store.db import Database

MAX_ATTEMPTS = 12
# Keys ranked per drain: the oldest this many waiting keys (bounds the queries' parameter lists;
# a backlog beyond it is thousands of messages, over an hour of Slack's pace per channel).
MAX_KEYS = 2000


async def emit(session: AsyncSession, notice: Notice, now: datetime) -> None:
    """Queue a notice in the caller's transaction."""
    session.add(OutboxItem(key=notice.key, channel=notice.channel, template=notice.template,
                           context=notice.context, thread_key=notice.thread_key,
                           created_at=now, due_at=now))


_INSERT = ("INSERT INTO outbox_item (key, channel, template, context, thread_key, state, attempts, created_at, "
           "due_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)")


async def emit_many(session: AsyncSession, notices: Sequence[Notice], now: datetime) -> None:
    """Queue notices in the caller's transaction, in order, with one statement on the driver.

    A busy writer (the alert pipeline) queues a few per transaction; building, tracking and
    flushing an ORM object for each (`emit`) cost more than the rows themselves. The rows are
    the ones `emit` writes, read back through the ORM as usual.
    """
    if not notices:
        return
    if session.new:  # notices emitted through the ORM earlier in this transaction keep lower ids
        await session.flush()
    b = await Bulk.of(session)
    at = b.ts(now)
    await b.executemany(_INSERT, [(n.key, n.channel, n.template, _json(n.context), n.thread_key, at, at)
                                  for n in notices])


def _json(value: object) -> str:
    # What the ORM's JSON column would store, read back the same (json.dumps also takes int keys).
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


FIRST_POST, MAIN_EDIT, THREAD = 0, 1, 2  # sending classes, most urgent first


def send_class(in_thread: bool, posted: bool) -> int:
    """Return a notice's sending class: a new card, an edit of a card, or thread detail."""
    if in_thread:
        return THREAD
    return MAIN_EDIT if posted else FIRST_POST


@dataclass
class Delivery:
    """One unit of work for the notifier: the newest pending notice of a key."""

    item: OutboxItem
    message: SlackMessage | None  # where the key already lives in Slack, if anywhere
    thread_ts: str | None  # ts of the parent message when the notice goes in a thread
    superseded: int  # older pending edits of the same key folded into this one


class Outbox:
    """Reads and advances the outbox on behalf of the notifier."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def depth(self) -> int:
        """Return how many notices are waiting."""
        async with self.db.session() as s:
            return int((await s.execute(select(func.count()).select_from(OutboxItem)
                                        .where(col(OutboxItem.state) == "pending"))).scalar_one())

    async def due(self, limit: int = 50, per_channel: int = 10) -> list[Delivery]:
        """Return due deliveries, each key folded into its newest notice, in sending order.

        Per channel: first posts of main messages, then edits of main messages, then thread
        replies; within a class, the key whose oldest pending notice is oldest goes first. A
        card edited ten times during a Slack outage thus keeps its place (its first pending
        edit) instead of moving behind every newer notice, and no thread detail leaves before
        the cards it belongs under are current.
        """
        now = self.clock.now()
        async with self.db.session() as s:
            heads = (await s.execute(
                select(col(OutboxItem.key), func.min(OutboxItem.id), func.max(OutboxItem.id), func.count())
                .where(col(OutboxItem.state) == "pending").group_by(OutboxItem.key)
                .order_by(func.min(OutboxItem.id)).limit(MAX_KEYS))).all()
            if not heads:
                return []
            newest = {row.id: row for row in (await s.execute(select(OutboxItem).where(
                col(OutboxItem.id).in_([h[2] for h in heads])))).scalars()}
            keys = {r.key for r in newest.values()} | {r.thread_key for r in newest.values() if r.thread_key}
            posted = {m.key: m for m in (await s.execute(select(SlackMessage).where(
                col(SlackMessage.key).in_(keys)))).scalars()}
            by_channel: dict[str, list[tuple[int, int, Delivery]]] = {}
            for key, oldest, newest_id, count in heads:
                item = newest[newest_id]
                if utc(item.due_at) > now:
                    continue
                msg = posted.get(key)
                thread_ts = None
                if item.thread_key:
                    parent = posted.get(item.thread_key)
                    if parent is None or not parent.ts:
                        continue  # parent not posted yet: the thread reply waits for it
                    thread_ts = parent.ts
                rank = send_class(item.thread_key is not None, msg is not None and msg.ts is not None)
                by_channel.setdefault(item.channel, []).append(
                    (rank, oldest, Delivery(item, msg, thread_ts, count - 1)))
            out: list[Delivery] = []
            for queue in by_channel.values():
                out.extend(d for _, _, d in sorted(queue, key=lambda q: q[:2])[:per_channel])
            out = out[:limit]
            folded = [d.item for d in out if d.superseded]
            if folded:  # older notices of a key being sent now are folded into it (never newer ones)
                await s.execute(update(OutboxItem).where(col(OutboxItem.state) == "pending", or_(
                    *((col(OutboxItem.key) == i.key) & (col(OutboxItem.id) < i.id) for i in folded)))
                    .values(state="superseded"))
            return out

    async def claim_post(self, item: OutboxItem) -> None:
        """Record that a first post of this key is about to be sent."""
        now = self.clock.now()
        async with self.db.session() as s:
            if await s.get(SlackMessage, item.key) is None:
                s.add(SlackMessage(key=item.key, channel=item.channel, state="sending",
                                   claimed_at=now, updated_at=now))

    async def mark_sent(self, item: OutboxItem, channel: str, ts: str) -> None:
        """Record where the message lives and that this notice is done."""
        now = self.clock.now()
        async with self.db.session() as s:
            msg = await s.get(SlackMessage, item.key)
            if msg is None:
                s.add(SlackMessage(key=item.key, channel=channel, ts=ts, state="posted",
                                   claimed_at=now, updated_at=now))
            else:
                msg.channel, msg.ts, msg.state, msg.updated_at = channel, ts, "posted", now
                s.add(msg)
            await s.execute(update(OutboxItem).where(col(OutboxItem.id) == item.id).values(state="sent"))

    async def retry_later(self, item: OutboxItem, delay_s: float, error: str) -> bool:
        """Push a notice back by delay_s; return False when it ran out of attempts."""
        attempts = item.attempts + 1
        state = "pending" if attempts < MAX_ATTEMPTS else "failed"
        due = self.clock.now() + timedelta(seconds=delay_s)
        async with self.db.session() as s:
            await s.execute(update(OutboxItem).where(col(OutboxItem.id) == item.id).values(
                attempts=attempts, due_at=due, last_error=error[:500], state=state))
        return state == "pending"

    async def defer_channel(self, channel: str, until: datetime) -> None:
        """Hold every pending notice of a channel until a rate limit lifts."""
        async with self.db.session() as s:
            await s.execute(update(OutboxItem).where(
                col(OutboxItem.channel) == channel, col(OutboxItem.state) == "pending",
                col(OutboxItem.due_at) < until).values(due_at=until))

    async def fail(self, item: OutboxItem, error: str) -> None:
        """Give up on a notice Slack will never accept (bad blocks, unknown channel)."""
        async with self.db.session() as s:
            await s.execute(update(OutboxItem).where(col(OutboxItem.id) == item.id).values(
                state="failed", last_error=error[:500], attempts=item.attempts + 1))

    async def message_for(self, key: str) -> SlackMessage | None:
        """Return where a notice key lives in Slack, if it was posted."""
        async with self.db.session() as s:
            return await s.get(SlackMessage, key)
