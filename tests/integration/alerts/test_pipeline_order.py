"""The one runner calls the declared stages in order, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from sqlalchemy import select

from engine.core.outbox_tables import OutboxItem

STAGES = ["parse", "dedup", "group", "inhibit", "lifecycle", "enrich", "notify"]


def _body(name: str, status: str = "firing", instance: str = "a") -> bytes:
    return json.dumps({"version": "4", "groupKey": "{}:{}", "receiver": "opsbot", "status": status, "alerts": [{
        "status": status, "labels": {"alertname": name, "service": "db", "severity": "warning", "instance": instance},
        "annotations": {}, "startsAt": "2026-11-27T12:00:00Z",
        "endsAt": "2026-11-27T12:05:00Z" if status == "resolved" else "0001-01-01T00:00:00Z"}]}).encode()


class _Seen:
    """Wraps a real stage and logs its name when the runner calls it."""

    def __init__(self, stage, log: list[str]) -> None:  # noqa: ANN001 - any stage
        self.stage, self.log, self.name = stage, log, stage.name

    def step(self, state, trip, out):  # noqa: ANN001, ANN201 - a per-alert stage
        self.log.append(self.name)
        return self.stage.step(state, trip, out)

    async def run(self, flow):  # noqa: ANN001, ANN201 - a per-transaction stage
        self.log.append(self.name)
        await self.stage.run(flow)

    def decide(self, kind, body):  # noqa: ANN001, ANN201 - the door
        self.log.append(self.name)
        return self.stage.decide(kind, body)


async def test_runner_calls_every_declared_stage_in_order(ingest, db):
    p, log = ingest.pipeline, []
    p.door = _Seen(p.door, log)
    p.alert_stages = tuple(_Seen(s, log) for s in p.alert_stages)
    p.tail = tuple(_Seen(s, log) for s in p.tail)
    await ingest.receive("alertmanager", _body("DiskFull"))
    assert log == STAGES
    assert list(p.names) == STAGES
    async with db.session() as s:
        keys = [o.key for o in (await s.execute(select(OutboxItem))).scalars().all()]
    assert len(keys) == 1 and keys[0].startswith("incident:")
