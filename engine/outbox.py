"""The persisted outbox: notices are written with the state change that caused them and
drained by the bot's notifier, so nothing is lost or sent twice across a restart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.clock import Clock, utc
from engine.notices import Notice
from engine.outbox_tables import OutboxItem, SlackMessage
from engine.store.db import Database

MAX_ATTEMPTS = 12


async def emit(session: AsyncSession, notice: Notice, now: datetime) -> None:
    """Queue a notice in the caller's transaction."""
    session.add(OutboxItem(key=notice.key, channel=notice.channel, template=notice.template,
                           context=notice.context, thread_key=notice.thread_key,
                           created_at=now, due_at=now))


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
            return (await s.execute(select(func.count()).select_from(OutboxItem)
                                    .where(OutboxItem.state == "pending"))).scalar_one()

    async def due(self, limit: int = 50) -> list[Delivery]:
        """Return due deliveries, coalescing pending edits of one key into the newest."""
        now = self.clock.now()
        async with self.db.session() as s:
            rows = (await s.execute(select(OutboxItem).where(OutboxItem.state == "pending")
                                    .order_by(OutboxItem.id).limit(limit * 4))).scalars().all()
            newest: dict[str, OutboxItem] = {}
            older: dict[str, list[int]] = {}
            for row in rows:
                if row.key in newest:
                    older.setdefault(row.key, []).append(newest[row.key].id)
                newest[row.key] = row
            for ids in older.values():
                await s.execute(update(OutboxItem).where(OutboxItem.id.in_(ids))
                                .values(state="superseded"))
            out: list[Delivery] = []
            for item in sorted(newest.values(), key=lambda r: r.id):
                if utc(item.due_at) > now:
                    continue
                msg = await s.get(SlackMessage, item.key)
                thread_ts = None
                if item.thread_key:
                    parent = await s.get(SlackMessage, item.thread_key)
                    if parent is None or not parent.ts:
                        continue  # parent not posted yet: the thread reply waits for it
                    thread_ts = parent.ts
                out.append(Delivery(item, msg, thread_ts, len(older.get(item.key, []))))
                if len(out) >= limit:
                    break
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
            await s.execute(update(OutboxItem).where(OutboxItem.id == item.id).values(state="sent"))

    async def retry_later(self, item: OutboxItem, delay_s: float, error: str) -> bool:
        """Push a notice back by delay_s; return False when it ran out of attempts."""
        attempts = item.attempts + 1
        state = "pending" if attempts < MAX_ATTEMPTS else "failed"
        due = self.clock.now() + timedelta(seconds=delay_s)
        async with self.db.session() as s:
            await s.execute(update(OutboxItem).where(OutboxItem.id == item.id).values(
                attempts=attempts, due_at=due, last_error=error[:500], state=state))
        return state == "pending"

    async def defer_channel(self, channel: str, until: datetime) -> None:
        """Hold every pending notice of a channel until a rate limit lifts."""
        async with self.db.session() as s:
            await s.execute(update(OutboxItem).where(
                OutboxItem.channel == channel, OutboxItem.state == "pending",
                OutboxItem.due_at < until).values(due_at=until))

    async def fail(self, item: OutboxItem, error: str) -> None:
        """Give up on a notice Slack will never accept (bad blocks, unknown channel)."""
        async with self.db.session() as s:
            await s.execute(update(OutboxItem).where(OutboxItem.id == item.id).values(
                state="failed", last_error=error[:500], attempts=item.attempts + 1))

    async def message_for(self, key: str) -> SlackMessage | None:
        """Return where a notice key lives in Slack, if it was posted."""
        async with self.db.session() as s:
            return await s.get(SlackMessage, key)
