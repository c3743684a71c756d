"""Append, read, verify and export the hash-chained audit log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, AsyncIterator, Sequence

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.actor import Actor
from engine.audit.anchors import Anchor, check_anchors
from engine.audit.chain import GENESIS, canonical_time, event_hash, normalize_data
from engine.audit.tables import AuditEvent, AuditHead
from engine.core.bounds import SEQ_MAX
from engine.core.clock import Clock, SystemClock, utc
from engine.errors import InvalidInput, NotFound
from engine.store.db import Database

_PAGE = 1000


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a chain check: ok, how many events were read, and the first bad one."""

    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    bad_seq: int | None = None
    problem: str = ""
    anchors: int = 0  # published anchors the chain was checked against

    def summary(self) -> str:
        """Return a one-line human summary."""
        if self.ok:
            held = f", holds {self.anchors} anchors" if self.anchors else ""
            return (f"audit chain OK: {self.checked} events{held}, head seq {self.head_seq} hash {self.head_hash} "
                    f"(anchor: {self.head_seq}:{self.head_hash})")
        where = f" at seq {self.bad_seq}" if self.bad_seq is not None else ""
        return f"audit chain BROKEN{where}: {self.problem} ({self.checked} events read)"


def _digest(e: AuditEvent) -> str:
    return event_hash(seq=e.seq, at=e.at, actor=e.actor, actor_name=e.actor_name, action=e.action,
                      subject=e.subject, data=e.data, prev_hash=e.prev_hash)


def event_to_dict(e: AuditEvent) -> dict[str, Any]:
    """Return an event as a JSON-ready dict (the export format)."""
    return {"seq": e.seq, "at": canonical_time(e.at), "actor": e.actor, "actor_name": e.actor_name,
            "action": e.action, "subject": e.subject, "data": e.data,
            "prev_hash": e.prev_hash, "hash": e.hash}


class AuditLog:
    """The audit log. `append` joins the caller's transaction, so state and event commit together."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()

    async def _claim_next(self, session: AsyncSession) -> tuple[int, str]:
        # The UPDATE is the transaction's first touch of the head row: on PostgreSQL it
        # takes the row lock (writers queue here), on SQLite it takes the write lock
        # before anything is read, so no writer ever chains onto a stale head.
        stmt = (update(AuditHead).where(col(AuditHead.id) == 1)
                .values(seq=col(AuditHead.seq) + 1).returning(col(AuditHead.seq), col(AuditHead.hash)))
        row = (await session.exec(stmt)).first()
        if row is None:
            ins = pg_insert if not self.db.is_sqlite else sqlite_insert
            await session.exec(ins(AuditHead).values(id=1, seq=0, hash=GENESIS)
                               .on_conflict_do_nothing(index_elements=["id"]))
            row = (await session.exec(stmt)).first()
        assert row is not None
        return int(row[0]), str(row[1])

    async def append(self, session: AsyncSession, *, actor: Actor | str, action: str,
                     subject: str = "", data: dict[str, Any] | None = None) -> AuditEvent:
        """Append one event inside the caller's transaction; call it last in that transaction."""
        user_id, name = (actor.user_id, actor.name) if isinstance(actor, Actor) else (str(actor), "")
        seq, prev = await self._claim_next(session)
        at = self.clock.now()
        body = normalize_data(data or {})
        digest = event_hash(seq=seq, at=at, actor=user_id, actor_name=name, action=action,
                            subject=subject, data=body, prev_hash=prev)
        event = AuditEvent(seq=seq, at=at, actor=user_id, actor_name=name, action=action,
                           subject=subject, data=body, prev_hash=prev, hash=digest)
        session.add(event)
        await session.exec(update(AuditHead).where(col(AuditHead.id) == 1).values(hash=digest))
        await session.flush()
        return event

    async def record(self, *, actor: Actor | str, action: str, subject: str = "",
                     data: dict[str, Any] | None = None) -> AuditEvent:
        """Append one event in its own transaction."""
        async with self.db.session() as s:
            return await self.append(s, actor=actor, action=action, subject=subject, data=data)

    async def recent(self, n: int = 20, subject: str | None = None) -> list[AuditEvent]:
        """Return the newest n events (newest first), optionally for one subject."""
        if n < 1 or n > 500:
            raise InvalidInput(f"cannot show {n} events", hint="ask for 1 to 500")
        q = select(AuditEvent)
        if subject:
            q = q.where(col(AuditEvent.subject) == subject)
        async with self.db.session() as s:
            rows = (await s.exec(q.order_by(col(AuditEvent.seq).desc()).limit(n))).all()
        return [self._norm(e) for e in rows]

    async def get(self, seq: int) -> AuditEvent:
        """Return one event by sequence number."""
        if not 1 <= seq <= SEQ_MAX:  # no such row, and the database would refuse the number
            raise NotFound(f"no audit event #{seq}", hint="`/ops audit` lists recent events")
        async with self.db.session() as s:
            e = await s.get(AuditEvent, seq)
        if e is None:
            raise NotFound(f"no audit event #{seq}", hint="`/ops audit` lists recent events")
        return self._norm(e)

    @staticmethod
    def _norm(e: AuditEvent) -> AuditEvent:
        e.at = utc(e.at)
        return e

    async def iter_events(self) -> AsyncIterator[AuditEvent]:
        """Yield every event in chain order, a page at a time."""
        after = -1
        while True:
            async with self.db.session() as s:
                page = (await s.exec(select(AuditEvent).where(col(AuditEvent.seq) > after)
                                     .order_by(col(AuditEvent.seq)).limit(_PAGE))).all()
            for e in page:
                yield self._norm(e)
            if len(page) < _PAGE:
                return
            after = page[-1].seq

    async def head(self) -> tuple[int, str]:
        """Return the chain head (seq, hash); (0, GENESIS) when empty."""
        async with self.db.session() as s:
            h = await s.get(AuditHead, 1)
        return (h.seq, h.hash) if h else (0, GENESIS)

    async def still_holds(self, anchor: Anchor) -> bool:
        """Tell whether the anchored event is still there, unedited, with the anchored hash."""
        if anchor.seq is None or anchor.seq == 0:
            return True
        try:
            e = await self.get(anchor.seq)
        except NotFound:
            return False
        return e.hash == anchor.hash == _digest(e)

    async def verify(self, anchors: Sequence[Anchor] = ()) -> VerifyResult:
        """Walk the chain and report the first edited, deleted, inserted or reordered event,
        or the first anchor (published `seq:hash`) the chain no longer holds."""
        expected_seq, prev, checked = 1, GENESIS, 0
        head_seq, head_hash = await self.head()
        wanted = {a.seq for a in anchors if a.seq}
        by_seq: dict[int, str] = {}
        hashes: set[str] | None = set() if any(a.seq is None for a in anchors) else None

        def bad(seq: int | None, problem: str) -> VerifyResult:
            return VerifyResult(False, checked, head_seq, head_hash, seq, problem)

        async for e in self.iter_events():
            checked += 1
            if e.seq != expected_seq:
                kind = "missing (deleted)" if e.seq > expected_seq else "out of order"
                return bad(expected_seq, f"event seq {expected_seq} is {kind}; found seq {e.seq} next")
            if e.prev_hash != prev:
                return bad(e.seq, "prev_hash does not match the event before it "
                                  "(an event was deleted, inserted or reordered here)")
            if _digest(e) != e.hash:
                return bad(e.seq, "content does not match its hash (the event was edited)")
            if e.seq in wanted:
                by_seq[e.seq] = e.hash
            if hashes is not None:
                hashes.add(e.hash)
            prev, expected_seq = e.hash, e.seq + 1
        last = expected_seq - 1
        if head_seq != last or head_hash != prev:
            return bad(min(head_seq, last) + (0 if head_seq == last else 1),
                       f"chain ends at seq {last} but the head records seq {head_seq} "
                       "(events were deleted from the end, or the head was altered)")
        seq, problem = check_anchors(anchors, by_seq, hashes, last)
        if problem:
            return bad(seq, problem)
        return VerifyResult(True, checked, head_seq, head_hash, anchors=len(anchors))

    async def export(self, fmt: str = "jsonl") -> AsyncIterator[str]:
        """Yield the log as lines in the given format (jsonl)."""
        if fmt != "jsonl":
            raise InvalidInput(f"unknown export format {fmt!r}", hint="use --format jsonl")
        async for e in self.iter_events():
            yield json.dumps(event_to_dict(e), sort_keys=True, ensure_ascii=False) + "\n"
