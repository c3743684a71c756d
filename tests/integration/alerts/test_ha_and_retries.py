"""Idempotency and HA: retries duplicate nothing, failures lose nothing, two replicas agree."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select

from engine.alerts.ingest import AlertIngest
from engine.alerts.tables import AlertBatch, AlertRow, IncidentRow
from engine.core.outbox import emit_many
from engine.core.outbox_tables import OutboxItem
from engine.store.db import Database


def am_body(alerts: list[tuple[str, str]], group: str = "g", url: str = "http://am-0:9093",
            status: str = "firing") -> bytes:
    """Return an Alertmanager v4 body with (alertname, service) alerts."""
    items = [{"status": status, "labels": {"alertname": n, "service": s, "severity": "warning"},
              "annotations": {}, "startsAt": "2026-11-27T12:00:00Z",
              "endsAt": "2026-11-27T12:05:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
              "generatorURL": "", "fingerprint": f"{n}-{s}"} for n, s in alerts]
    return json.dumps({"receiver": "opsbot", "status": status, "alerts": items, "groupLabels": {},
                       "commonLabels": {}, "commonAnnotations": {}, "externalURL": url, "version": "4",
                       "groupKey": group, "truncatedAlerts": 0}).encode()


async def _counts(db: Database) -> tuple[int, int, int, int]:
    async with db.session() as s:
        n = [(await s.execute(select(func.count()).select_from(t))).scalar_one()
             for t in (AlertBatch, AlertRow, IncidentRow)]
        posts = (await s.execute(select(func.count(func.distinct(OutboxItem.key))).where(
            OutboxItem.thread_key.is_(None)))).scalar_one()
    return n[0], n[1], n[2], posts


async def test_retry_of_same_body_is_recognized(ingest, db):
    body = am_body([("A", "billing"), ("B", "billing")])
    first = await ingest.receive("alertmanager", body)
    again = await ingest.receive("alertmanager", body)
    assert not first.duplicate and again.duplicate
    assert await _counts(db) == (1, 2, 1, 1)
    async with db.session() as s:
        assert (await s.execute(select(AlertBatch.deliveries))).scalar_one() == 2


async def test_processing_failure_keeps_the_batch_and_retry_processes_it(db, cfg, clock, emit_failing_once):
    ing = AlertIngest(db, cfg, clock, emit_failing_once)
    res = await ing.receive("alertmanager", am_body([("A", "billing")]))
    assert res.deferred
    assert await _counts(db) == (1, 0, 0, 0)  # stored raw, nothing half-applied
    assert await ing.retry_pending() == 1
    assert await _counts(db) == (1, 1, 1, 1)
    assert await ing.retry_pending() == 0


async def test_two_replicas_same_webhooks_make_one_incident_and_one_message(db, cfg, clock):
    # A second Database object is a second replica's connection pool on the same store.
    other_db = Database(db.url)
    a, b = AlertIngest(db, cfg, clock, emit_many), AlertIngest(other_db, cfg, clock, emit_many)
    # Four different alerts: the same alertname at the same moment on services the graph does not
    # have is evidence they go together (the model's unmapped feature), which this test is not about.
    services = [(name, f"svc-{i}") for i, name in enumerate(("HighLatency", "DiskFull", "QueueBacklogHigh"))] + \
        [("HighErrorRate", "billing")]
    bodies = [am_body([x], group=f"g{i}") for i, x in enumerate(services)]
    # Each Alertmanager of an HA pair sends its own copy (different externalURL) to "its" replica.
    twins = [am_body([x], group=f"g{i}", url="http://am-1:9093") for i, x in enumerate(services)]
    try:
        await asyncio.gather(*[a.receive("alertmanager", x) for x in bodies],
                             *[b.receive("alertmanager", x) for x in twins],
                             *[b.receive("alertmanager", x) for x in bodies])
        batches, alerts, incidents, posts = await _counts(db)
        assert (batches, alerts) == (8, 4)
        assert incidents == posts  # one message per incident, never two
        async with db.session() as s:
            fp_incidents = (await s.execute(select(AlertRow.fingerprint, AlertRow.incident_id))).all()
        assert len({i for _, i in fp_incidents}) == incidents
        assert incidents == 4  # unrelated alerts, no graph links: one incident each
    finally:
        await other_db.dispose()


async def test_concurrent_related_batches_share_one_incident(db, cfg, clock):
    other_db = Database(db.url)
    a, b = AlertIngest(db, cfg, clock, emit_many), AlertIngest(other_db, cfg, clock, emit_many)
    try:
        await asyncio.gather(*[(a if i % 2 else b).receive(
            "alertmanager", am_body([("HighLatency", "checkout"), (f"Err{i}", "checkout")], group=f"g{i}"))
            for i in range(6)])
        assert (await _counts(db))[2:] == (1, 1)
    finally:
        await other_db.dispose()


async def test_a_steady_writer_still_sees_alerts_another_replica_stored(db, cfg, clock):
    """The writer's set of stored fingerprints (which spares lookups of new alerts) is dropped
    as soon as another replica writes: the alert b stored is a repeat for a, not a new one."""
    other_db = Database(db.url)
    a, b = AlertIngest(db, cfg, clock, emit_many), AlertIngest(other_db, cfg, clock, emit_many)
    try:
        for i in range(3):  # a writes several transactions in a row: it holds the known set
            await a.receive("alertmanager", am_body([(f"A{i}", "checkout")], group=f"a{i}"))
        assert a.store.known is not None and "A2-checkout" in a.store.known
        await b.receive("alertmanager", am_body([("Shared", "billing")], group="b"))
        res = await a.receive("alertmanager", am_body([("Shared", "billing")], group="b", url="http://am-1:9093"))
        assert res.counts["dedup.repeat_delivery"] == 1 and res.counts["dedup.new"] == 0
        new = await a.receive("alertmanager", am_body([("Fresh", "billing")], group="c"))
        assert new.counts["dedup.new"] == 1
    finally:
        await other_db.dispose()
