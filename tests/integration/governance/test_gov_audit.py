"""Audit chain: appends from concurrent writers, and each form of tampering detected, on the audit
log of the engine built from settings."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import text

from engine.actor import Actor
from engine.audit import AuditLog
from engine.audit.anchors import Anchor
from engine.core.clock import FakeClock
from engine.store.db import Database


async def _fill(log: AuditLog, n: int = 6) -> None:
    for i in range(n):
        await log.record(actor=Actor("U1", "alice"), action="test.event", subject=f"thing:{i}",
                         data={"i": i, "note": "héllo", "nested": {"b": [1, 2.5, None]}})


async def _built(make_engine, url: str, clock: FakeClock | None = None) -> tuple[AuditLog, Database]:
    """Return the built engine's audit log and database."""
    eng = await make_engine(url, clock=clock)
    return eng.audit, eng.db


async def _sql(db, stmt: str) -> None:
    async with db.engine.begin() as c:
        await c.execute(text(stmt))


async def test_append_and_verify_clean_chain(make_engine, gov_url):
    log, db = await _built(make_engine, gov_url, FakeClock())
    await _fill(log)
    res = await log.verify()
    assert res.ok, res.summary()
    assert res.checked == 6 and res.head_seq == 6
    events = await log.recent(3)
    assert [e.seq for e in events] == [6, 5, 4]
    assert events[0].prev_hash == events[1].hash


async def test_concurrent_writers_keep_one_chain(make_engine, gov_url):
    log, _ = await _built(make_engine, gov_url)
    await asyncio.gather(*[log.record(actor="U2", action="race", data={"k": k}) for k in range(40)])
    res = await log.verify()
    assert res.ok, res.summary()
    assert res.checked == 40


async def test_edited_event_is_named(make_engine, gov_url):
    log, db = await _built(make_engine, gov_url, FakeClock())
    await _fill(log)
    await _sql(db, "UPDATE audit_event SET actor = 'U666' WHERE seq = 3")
    res = await log.verify()
    assert not res.ok and res.bad_seq == 3 and "edited" in res.problem


async def test_edited_data_is_named(make_engine, gov_url):
    log, db = await _built(make_engine, gov_url, FakeClock())
    await _fill(log)
    async with db.engine.begin() as c:
        await c.execute(text("UPDATE audit_event SET data = :d WHERE seq = 4"),
                        {"d": json.dumps({"i": 400})})
    res = await log.verify()
    assert not res.ok and res.bad_seq == 4


async def test_deleted_event_is_named(make_engine, gov_url):
    log, db = await _built(make_engine, gov_url, FakeClock())
    await _fill(log)
    await _sql(db, "DELETE FROM audit_event WHERE seq = 2")
    res = await log.verify()
    assert not res.ok and res.bad_seq == 2 and "deleted" in res.problem


async def test_deleted_tail_is_detected(make_engine, gov_url):
    log, db = await _built(make_engine, gov_url, FakeClock())
    await _fill(log)
    await _sql(db, "DELETE FROM audit_event WHERE seq = 6")
    res = await log.verify()
    assert not res.ok and res.bad_seq == 6


async def test_inserted_event_is_named(make_engine, gov_url):
    log, db = await _built(make_engine, gov_url, FakeClock())
    await _fill(log)
    # A forger shifts later events up and slots in a well-formed event whose prev_hash
    # copies the real predecessor's: the event after it no longer chains.
    await _sql(db, "UPDATE audit_event SET seq = seq + 100 WHERE seq >= 4")
    await _sql(db, "UPDATE audit_event SET seq = seq - 99 WHERE seq >= 104")
    async with db.engine.begin() as c:
        prev = (await c.execute(text("SELECT hash FROM audit_event WHERE seq = 3"))).scalar_one()
    from engine.audit.chain import event_hash
    from engine.core.clock import FakeClock as FC
    at = FC().now()
    forged = event_hash(seq=4, at=at, actor="U9", actor_name="", action="x", subject="",
                        data={}, prev_hash=prev)
    async with db.engine.begin() as c:
        await c.execute(text("INSERT INTO audit_event (seq, at, actor, actor_name, action, subject, data,"
                             " prev_hash, hash) VALUES (4, :at, 'U9', '', 'x', '', '{}', :p, :h)"),
                        {"at": at, "p": prev, "h": forged})
    res = await log.verify()
    assert not res.ok and res.bad_seq == 5 and "prev_hash" in res.problem


async def test_reordered_events_are_named(make_engine, gov_url):
    log, db = await _built(make_engine, gov_url, FakeClock())
    await _fill(log)
    await _sql(db, "UPDATE audit_event SET seq = 100 WHERE seq = 2")
    await _sql(db, "UPDATE audit_event SET seq = 2 WHERE seq = 3")
    await _sql(db, "UPDATE audit_event SET seq = 3 WHERE seq = 100")
    res = await log.verify()
    assert not res.ok and res.bad_seq == 2


async def test_anchor_survives_growth_and_catches_a_rewritten_chain(make_engine, gov_url):
    log, db = await _built(make_engine, gov_url, FakeClock())
    await _fill(log, 2)
    seq, digest = await log.head()
    await _fill(log, 1)
    assert (await log.verify([Anchor(seq, digest)])).ok  # growth after the anchor is fine
    assert (await log.verify([Anchor(None, digest)])).ok  # a bare hash is looked up anywhere
    # Rewrite everything consistently: the chain alone cannot tell, the anchor can.
    await _sql(db, "DELETE FROM audit_event")
    await _sql(db, "DELETE FROM audit_head")
    await log.record(actor=Actor("U1", "alice"), action="test.event", subject="forged", data={})
    await _fill(log, 2)
    assert (await log.verify()).ok
    res = await log.verify([Anchor(seq, digest)])
    assert not res.ok and res.bad_seq == seq and "rewritten" in res.problem, res.summary()
    assert not (await log.still_holds(Anchor(seq, digest)))
    await _sql(db, "DELETE FROM audit_event WHERE seq > 1")
    await _sql(db, "UPDATE audit_head SET seq = 1, hash = (SELECT hash FROM audit_event WHERE seq = 1)")
    res = await log.verify([Anchor(seq, digest)])
    assert not res.ok and "gone" in res.problem, res.summary()


async def test_export_jsonl_round_trips(make_engine, gov_url):
    log, db = await _built(make_engine, gov_url, FakeClock())
    await _fill(log, 3)
    lines = [line async for line in log.export("jsonl")]
    rows = [json.loads(x) for x in lines]
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    assert rows[0]["data"]["note"] == "héllo"
