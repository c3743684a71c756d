"""The commit chain (engine/alerts/chain.py): groups whose writes overlap the next group's
stages store what one group after another stores, and each body is answered once committed."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from sqlalchemy import select

from engine.alerts.tables import AlertBatch, AlertRow, DecisionRow, IncidentRow
from engine.core.outbox_tables import OutboxItem
from tests.integration.alerts.conftest import built_engine
from tests.servers import create_pg_database, drop_pg_database


def _body(n: int, status: str = "firing") -> bytes:
    svc = f"svc-{n // 4}"  # four bodies per service: some groups open its incident, later ones join it
    alerts = [{"status": status, "labels": {"alertname": f"Alert{i % 3}", "service": svc,
                                            "instance": f"{svc}-{i}:9100", "severity": "warning"},
               "annotations": {"summary": f"alert {i} of {svc}"}, "startsAt": "2026-11-27T11:59:00Z",
               "endsAt": "2026-11-27T12:00:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
               "generatorURL": "http://prometheus:9090/graph"} for i in range(n % 4 * 5, n % 4 * 5 + 5)]
    return json.dumps({"version": "4", "groupKey": f"{{}}:{{service=\"{svc}\"}}", "status": status,
                       "receiver": "ops", "groupLabels": {"service": svc}, "alerts": alerts}).encode()


async def _stored(chain: bool, clock, url: str) -> tuple[list, dict]:
    eng = await built_engine(url, {"alerts": {"commit_chain": chain, "counter_flush_s": 0}}, clock)
    try:
        svc = eng.alerts
        for n in range(24, 34):  # one at a time: the writer becomes the steady sole writer (chain.SOLE_WRITER_AFTER)
            await svc.receive("alertmanager", _body(n))
        # Each wave is submitted at once, so both runs queue the bodies in this order.
        first = await asyncio.gather(*[svc.receive("alertmanager", _body(n)) for n in range(16)])
        # Re-sent bodies (stored before: the chain's speculative stages must not count them),
        # resolves and new alerts.
        wave = [_body(3), _body(5), *(_body(n, "resolved") for n in range(0, 16, 3)), *(_body(n) for n in range(16, 24))]
        second = await asyncio.gather(*[svc.receive("alertmanager", b) for b in wave])
        async with eng.db.session() as s:
            alerts = sorted(tuple(r) for r in (await s.execute(select(
                AlertRow.fingerprint, AlertRow.status, AlertRow.incident_id, AlertRow.deliveries,
                AlertRow.last_decision))).all())
            incidents = [tuple(r) for r in (await s.execute(select(
                IncidentRow.id, IncidentRow.status, IncidentRow.alertnames).order_by(IncidentRow.id))).all()]
            # A reason names an incident opened in the same transaction by its temporary id
            # (#-1): transaction bounds differ between the runs, so the number is left out.
            decisions = [(*r[:2], re.sub(r"#-?\d+", "#", r[2]), *r[3:]) for r in (await s.execute(select(
                DecisionRow.stage, DecisionRow.name, DecisionRow.reason, DecisionRow.fingerprint,
                DecisionRow.incident_id).where(DecisionRow.stage != "notify").order_by(DecisionRow.id))).all()]
            # Which incidents have their message (how many edits follow depends on transaction bounds).
            posts = sorted({k for (k,) in (await s.execute(select(OutboxItem.key))).all() if ":" not in k[9:]})
            batches = sorted(tuple(r) for r in (await s.execute(select(
                AlertBatch.digest, AlertBatch.deliveries, AlertBatch.processed_at.is_not(None)))).all())
        answers = [(r.alerts, r.duplicate, r.deferred) for r in first + second]
        return [alerts, incidents, decisions, posts, batches, answers], dict(svc.ingest.counters)
    finally:
        await eng.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def two_stores(request, tmp_path):
    """Two empty databases of one kind: the serial run's and the chained run's."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'serial.db'}", f"sqlite:///{tmp_path / 'chained.db'}"
    else:
        urls = create_pg_database(), create_pg_database()
        yield urls
        for url in urls:
            drop_pg_database(url)


async def test_chained_groups_store_what_serial_groups_store(clock, two_stores):
    serial, _ = await _stored(False, clock, two_stores[0])
    chained, counters = await _stored(True, clock, two_stores[1])
    assert counters["chained_groups"] > 0  # stages really ran while the group before was written
    names = ["alerts", "incidents", "decisions (not notify)", "incident posts", "batches", "answers"]
    for name, a, b in zip(names, serial, chained):
        assert a == b, name
    alerts, incidents, _, posts, batches, answers = chained
    assert len(alerts) == 34 * 5 and incidents and posts == sorted(f"incident:{i[0]}" for i in incidents)
    assert sum(d for _, d, _ in batches) == 10 + 16 + 16 and all(done for _, _, done in batches)
    assert [dup for _, dup, _ in answers].count(True) == 2 and not any(deferred for *_, deferred in answers)
