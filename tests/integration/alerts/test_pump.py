"""Store-and-answer intake with a pump: two workers' ingests on one store, concurrent duplicates."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select

from engine.alerts.ingest import AlertIngest
from engine.alerts.pump import AlertPump
from engine.alerts.tables import AlertBatch, AlertRow, DecisionRow, IncidentRow
from engine.core.outbox import emit_many
from engine.core.outbox_tables import OutboxItem
from engine.store.db import Database


def body(service: str, names: list[str], status: str = "firing", at: str = "12:00:00") -> bytes:
    """Return an Alertmanager v4 body: one service's alerts."""
    alerts = [{"status": status, "labels": {"alertname": n, "service": service, "severity": "warning"},
               "annotations": {}, "startsAt": f"2026-11-27T{at}Z",
               "endsAt": "2026-11-27T12:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
               "generatorURL": "", "fingerprint": f"{n}-{service}"} for n in names]
    return json.dumps({"receiver": "opsbot", "status": status, "alerts": alerts, "version": "4",
                       "groupLabels": {"service": service}, "commonLabels": {}, "commonAnnotations": {},
                       "externalURL": "http://am:9093", "groupKey": f'{{}}:{{service="{service}"}}',
                       "truncatedAlerts": 0}).encode()


async def _drain(*pumps: AlertPump) -> None:
    while sum(await asyncio.gather(*[p.pump_once() for p in pumps])):
        pass


async def test_two_workers_store_then_one_pump_processes_each_batch_once(db, cfg, clock):
    # A second Database object is the second worker process's own connections to the store.
    other = Database(db.url)
    a, b = AlertIngest(db, cfg, clock, emit_many), AlertIngest(other, cfg, clock, emit_many)
    a.queue_mode = b.queue_mode = True
    bodies = [body(f"svc-{i}", ["HighLatency", "HighErrorRate"]) for i in range(12)]
    try:
        # Every body reaches both workers at once (a retry racing the original, or HA twins).
        res = await asyncio.gather(*[a.enqueue("alertmanager", x) for x in bodies],
                                   *[b.enqueue("alertmanager", x) for x in bodies])
        assert all(r.queued for r in res)
        assert sum(not r.duplicate for r in res) == len(bodies)  # each stored once
        assert {r.batch_id for r in res[:12]} == {r.batch_id for r in res[12:]}
        async with db.session() as s:
            pending = (await s.execute(select(func.count()).select_from(AlertBatch).where(
                AlertBatch.processed_at.is_(None)))).scalar_one()
        assert pending == len(bodies)  # stored before the answer, not yet processed
        # Both workers run a pump at the same time: claiming under the lock keeps it exactly once.
        await _drain(AlertPump(a), AlertPump(b))
        async with db.session() as s:
            n_batches, deliveries = (await s.execute(select(func.count(), func.sum(AlertBatch.deliveries))
                                                     .where(AlertBatch.processed_at.is_not(None)))).one()
            alerts = (await s.execute(select(func.count()).select_from(AlertRow))).scalar_one()
            incidents = (await s.execute(select(func.count()).select_from(IncidentRow))).scalar_one()
            # One grouping decision per processed firing alert (a first firing's dedup row is not stored).
            new = (await s.execute(select(DecisionRow.fingerprint, func.count()).where(
                DecisionRow.stage.in_(("group", "inhibit"))).group_by(DecisionRow.fingerprint))).all()
            posts = (await s.execute(select(func.count(func.distinct(OutboxItem.key))).where(
                OutboxItem.thread_key.is_(None)))).scalar_one()
        assert (n_batches, deliveries) == (12, 24)
        assert alerts == 24
        assert len(new) == 24 and all(n == 1 for _, n in new)  # no alert processed twice
        assert incidents == posts > 0  # one Slack message per incident
    finally:
        await other.dispose()


async def test_pump_keeps_arrival_order_and_resolves(db, cfg, clock):
    ing = AlertIngest(db, cfg, clock, emit_many)
    ing.queue_mode = True
    await ing.enqueue("alertmanager", body("billing", ["Down"]))
    await ing.enqueue("alertmanager", body("billing", ["Down"], status="resolved"))
    assert await AlertPump(ing).pump_once() == 2  # one transaction, in the order they arrived
    async with db.session() as s:
        status = (await s.execute(select(AlertRow.status))).scalar_one()
    assert status == "resolved"


async def test_a_batch_that_fails_is_kept_and_the_retry_job_processes_it(db, cfg, clock, emit_failing_once):
    ing = AlertIngest(db, cfg, clock, emit_failing_once)
    ing.queue_mode = True
    await ing.enqueue("alertmanager", body("db", ["DiskFull"]))
    assert await AlertPump(ing).pump_once() == 0  # failed: marked, not lost, not retried in a loop
    async with db.session() as s:
        row = (await s.execute(select(AlertBatch.processed_at, AlertBatch.error))).one()
    assert row.processed_at is None and "notifier table unavailable" in row.error
    assert await AlertPump(ing).pump_once() == 0
    assert await ing.retry_pending() == 1
    async with db.session() as s:
        assert (await s.execute(select(func.count()).select_from(IncidentRow))).scalar_one() == 1
