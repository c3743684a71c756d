"""The real Alertmanager capture goes in, one incident with one message comes out."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from engine.alerts.tables import AlertRow, DecisionRow, IncidentRow
from engine.core.outbox_tables import OutboxItem

CAPTURE = Path("/work/shared/data/alertmanager/webhook-v4-firing-then-resolved.jsonl")


def _bodies() -> list[bytes]:
    here = Path(__file__).resolve().parents[2] / "fixtures" / "alerts" / "webhook-v4-firing-then-resolved.jsonl"
    path = here if here.exists() else CAPTURE
    return [line.encode() for line in path.read_text().splitlines() if line.strip()]


async def test_capture_firing_then_resolved(ingest, db, clock):
    firing, resolved = _bodies()
    r1 = await ingest.receive("alertmanager", firing)
    assert r1.counts["dedup.new"] == 1 and not r1.duplicate
    again = await ingest.receive("alertmanager", firing)
    assert again.duplicate
    clock.advance(3)
    r2 = await ingest.receive("alertmanager", resolved)
    assert r2.counts["dedup.resolved"] == 1
    clock.advance(400)
    await ingest.tick()
    async with db.session() as s:
        incs = (await s.execute(select(IncidentRow))).scalars().all()
        alert = (await s.execute(select(AlertRow))).scalars().one()
        keys = [o.key for o in (await s.execute(select(OutboxItem))).scalars().all()]
        why = (await s.execute(select(DecisionRow))).scalars().all()
    assert len(incs) == 1 and incs[0].status == "resolved"
    assert alert.fingerprint == "7a5469aab64c84f9" and alert.status == "resolved"
    assert alert.ends_at is not None
    assert set(k for k in keys if ":update:" not in k) == {f"incident:{incs[0].id}"}
    assert {d.name for d in why} >= {"new", "resolved", "new_incident"}
