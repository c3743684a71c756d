"""A storm growing an incident batch by batch edits one thread reply instead of posting one per batch.

People's actions always post their own reply, and growth after `thread_fold_s` starts a new one.
Engines are built from settings (engine.wiring.build_engine) on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select

from engine.actor import Actor
from engine.alerts.config import AlertsConfig
from engine.alerts.tables import DecisionRow
from engine.core.outbox_tables import OutboxItem

ANN = Actor("U1", "ann")


def body(alerts: list[tuple[str, str]], starts: datetime) -> bytes:
    """Return an Alertmanager v4 body of (alertname, service) alerts that began at `starts`."""
    items = [{"status": "firing", "labels": {"alertname": name, "service": svc, "severity": "critical"},
              "annotations": {}, "startsAt": starts.isoformat(), "endsAt": "0001-01-01T00:00:00Z",
              "generatorURL": "", "fingerprint": f"{name}-{svc}"} for name, svc in alerts]
    return json.dumps({"receiver": "opsbot", "status": "firing", "alerts": items, "groupLabels": {},
                       "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am:9093",
                       "version": "4", "groupKey": "g", "truncatedAlerts": 0}).encode()


@pytest.fixture
def cfg() -> AlertsConfig:
    """One front service that depends on the rest (every alert joins its incident); a one-minute fold."""
    return AlertsConfig.model_validate({"depends_on": {"front": [f"svc{i}" for i in range(1, 9)]},
                                        "thread_fold_s": 60})


async def _updates(db, incident_id: int) -> dict[str, dict]:
    """Return each thread update's latest queued context, by outbox key, in posting order."""
    async with db.session() as s:
        rows = (await s.execute(select(OutboxItem).order_by(OutboxItem.id))).scalars().all()
    out: dict[str, dict] = {}
    for r in rows:
        if r.key.startswith(f"incident:{incident_id}:update:"):
            out[r.key] = r.context
    return out


def _said(update: dict) -> list[str]:
    return [f"{line['change']['kind']}:{line['change'].get('service') or line['change'].get('alertname')}"
            for line in update["changes"]]


async def test_growth_within_the_window_edits_one_reply_and_people_post_their_own(engine, clock):
    alerts, db = engine.alerts, engine.db
    await alerts.receive("alertmanager", body([("HighErrorRate", "front")], clock.now()))
    (inc,) = await alerts.queries.incidents("open")
    clock.advance(10)
    await alerts.receive("alertmanager", body([("HighErrorRate", "svc1")], clock.now()))
    clock.advance(10)
    await alerts.receive("alertmanager", body([("HighErrorRate", "svc2"), ("HighLatency", "svc2")], clock.now()))
    clock.advance(10)
    await alerts.receive("alertmanager", body([("HighErrorRate", "svc3")], clock.now()))

    updates = await _updates(db, inc.id)
    assert list(updates) == [f"incident:{inc.id}:update:1"], "three batches of growth, one reply"
    (first,) = updates.values()
    assert first["until"] is not None and first["at"] < first["until"]
    assert {"service_joined:svc1", "service_joined:svc2", "service_joined:svc3",
            "new_alertname:HighLatency"} <= set(_said(first))
    listed = {(g["alertname"], s) for g in first["groups"] for s in g["services"]}
    assert listed == {("HighErrorRate", "svc1"), ("HighErrorRate", "svc2"), ("HighLatency", "svc2"),
                      ("HighErrorRate", "svc3")}

    # A person's action is the record: a reply of its own, and growth after it starts another.
    await alerts.acknowledge(inc.id, ANN)
    clock.advance(10)
    await alerts.receive("alertmanager", body([("HighErrorRate", "svc4")], clock.now()))
    clock.advance(10)
    await alerts.receive("alertmanager", body([("HighErrorRate", "svc5")], clock.now()))
    updates = await _updates(db, inc.id)
    assert len(updates) == 3
    ack, grown = list(updates.values())[1:]
    assert _said(ack) == ["acknowledged:None"] and ack["until"] is None
    assert {"service_joined:svc4", "service_joined:svc5"} <= set(_said(grown))

    # Past the window a new reply starts, so an old one is never stretched over a long incident.
    clock.advance(60)
    await alerts.receive("alertmanager", body([("HighErrorRate", "svc6")], clock.now()))
    updates = await _updates(db, inc.id)
    last = list(updates.values())[-1]
    assert len(updates) == 4 and "service_joined:svc6" in _said(last) and last["until"] is None

    async with db.session() as s:
        names = [d.name for d in (await s.execute(select(DecisionRow).where(
            DecisionRow.incident_id == inc.id, DecisionRow.stage == "notify"))).scalars()]
    assert names.count("folded_change") == 3 and names.count("meaningful_change") == 4


async def test_with_folding_off_every_batch_of_growth_posts_its_own_reply(make_engine, cfg, clock):
    engine = await make_engine(alerts=cfg.model_copy(update={"thread_fold_s": 0.0}))
    await engine.alerts.receive("alertmanager", body([("HighErrorRate", "front")], clock.now()))
    (inc,) = await engine.alerts.queries.incidents("open")
    for i in (1, 2, 3):
        clock.advance(10)
        await engine.alerts.receive("alertmanager", body([("HighErrorRate", f"svc{i}")], clock.now()))
    assert len(await _updates(engine.db, inc.id)) == 3


async def test_a_reply_counts_every_alert_by_name_not_the_first_twenty(engine, clock):
    # The demo's "acknowledged by bob" reply read "HighErrorRate ×13 ... and 18 more alerts" on an
    # incident whose card and `/ops incident` said 22 HighErrorRate of 38 alerts.
    alerts, db = engine.alerts, engine.db
    many = [("HighErrorRate", "front")] + [("HighErrorRate", f"svc{i % 8 + 1}-{i}") for i in range(21)]
    many += [("HighLatency", f"svc{i % 8 + 1}-{i}") for i in range(8)]
    await alerts.receive("alertmanager", body(many, clock.now()))
    (inc,) = await alerts.queries.incidents("open")
    assert inc.alert_count == 30
    clock.advance(120)
    await alerts.acknowledge(inc.id, ANN)

    updates = await _updates(db, inc.id)
    ack = list(updates.values())[-1]
    assert "acknowledged" in {line["change"]["kind"] for line in ack["changes"]}
    counts = {g["alertname"]: g["total"] for g in ack["groups"]}
    assert counts == {"HighErrorRate": 22, "HighLatency": 8} and ack["more_alerts"] == 0
