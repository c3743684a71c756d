"""Repeat-delivery counters written behind: reads stay current, writes add up across replicas."""

from __future__ import annotations

from sqlalchemy import select

from engine.alerts.config import AlertsConfig
from engine.alerts.ingest import AlertIngest
from engine.alerts.queries import AlertQueries
from engine.alerts.tables import AlertRow
from engine.core.outbox import emit_many
from engine.store.db import Database
from tests.integration.alerts.test_ha_and_retries import am_body

FP = "HighLatency-checkout"


def _repeat(k: int, status: str = "firing") -> bytes:
    # A distinct body (another Alertmanager URL) carrying the same alert: a repeat, not a retry.
    return am_body([("HighLatency", "checkout")], url=f"http://am-{k}:9093", status=status)


async def _stored(db: Database) -> tuple[int, int, str]:
    async with db.session() as s:
        row = (await s.execute(select(AlertRow.deliveries, AlertRow.repeat_resolves, AlertRow.last_decision)
                               .where(AlertRow.fingerprint == FP))).one()
    return row.deliveries, row.repeat_resolves, row.last_decision


async def test_repeats_are_held_then_written_once_due(db, clock):
    cfg = AlertsConfig(counter_flush_s=5)
    ing = AlertIngest(db, cfg, clock, emit_many)
    for k in range(4):
        await ing.receive("alertmanager", _repeat(k))
    assert await _stored(db) == (1, 0, "new")  # three repeats held in memory
    why = await AlertQueries(db, cfg, clock, ing.store.held).why(FP)
    assert "4 deliveries" in why.decisions[0]["reason"] and why.decisions[0]["name"] == "repeat_delivery"
    clock.advance(6)
    await ing.receive("alertmanager", _repeat(4))  # due now: written with this transaction
    assert await _stored(db) == (5, 0, "repeat_delivery")
    await ing.receive("alertmanager", _repeat(5))
    clock.advance(6)
    await ing.tick()  # an idle writer writes them on its tick
    assert await _stored(db) == (6, 0, "repeat_delivery")
    assert len(ing.store.held) == 0


async def test_a_full_write_takes_the_held_counts_with_it(db, clock):
    ing = AlertIngest(db, AlertsConfig(counter_flush_s=60), clock, emit_many)
    await ing.receive("alertmanager", _repeat(0))
    await ing.receive("alertmanager", _repeat(1))
    await ing.receive("alertmanager", _repeat(2, status="resolved"))  # a state change: full row
    assert await _stored(db) == (3, 0, "resolved") and len(ing.store.held) == 0
    await ing.receive("alertmanager", _repeat(3, status="resolved"))
    assert await ing.flush_counters() == 1  # shutdown writes what is held
    assert await _stored(db) == (4, 1, "repeated_resolve")


async def test_two_writers_add_their_held_counts(db, clock):
    other = Database(db.url)
    cfg = AlertsConfig(counter_flush_s=60)
    a, b = AlertIngest(db, cfg, clock, emit_many), AlertIngest(other, cfg, clock, emit_many)
    try:
        await a.receive("alertmanager", _repeat(0))
        await a.receive("alertmanager", _repeat(1))  # held by a
        await b.receive("alertmanager", _repeat(2))  # b reads 1 from the store and holds its own
        await b.receive("alertmanager", _repeat(3))
        await a.receive("alertmanager", _repeat(4))  # a sees b wrote: adds its held count first
        await a.flush_counters()
        await b.flush_counters()
        assert (await _stored(db))[0] == 5
    finally:
        await other.dispose()


async def test_zero_flush_interval_writes_every_transaction(db, clock):
    ing = AlertIngest(db, AlertsConfig(counter_flush_s=0), clock, emit_many)
    for k in range(3):
        await ing.receive("alertmanager", _repeat(k))
    assert await _stored(db) == (3, 0, "repeat_delivery") and len(ing.store.held) == 0


async def test_why_states_the_counters_as_a_person_would(db, clock):
    # "(1 deliveries, 0 flaps, 0 repeated resolves)" read wrong for an alert delivered once.
    cfg = AlertsConfig(counter_flush_s=5)
    ing = AlertIngest(db, cfg, clock, emit_many)
    await ing.receive("alertmanager", _repeat(0))
    why = await AlertQueries(db, cfg, clock, ing.store.held).why(FP)
    assert "(1 delivery, 0 flaps, 0 repeated resolves)" in why.decisions[0]["reason"], why.decisions[0]["reason"]
