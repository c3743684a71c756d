"""Property: whatever happens to incidents, each card's last rendering is its incident's state.

Random sequences of Alertmanager deliveries (fire, resolve, flap), people's clicks (acknowledge,
snooze, resolve) and time passing; at the end, the newest queued card of every posted incident
must carry exactly what the engine's enrich stage (`incident_context` plus every addition the
composition root declares) says about the stored incident now. The engine is built from settings
(engine.wiring.build_engine), as `opsbot serve` builds it.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import SQLModel

import engine.store.tables  # noqa: F401 - registers every table before create_all
from engine.actor import Actor
from engine.alerts.config import AlertsConfig
from engine.alerts.messages import incident_context
from engine.config import OpsbotConfig
from engine.core.clock import FakeClock
from engine.errors import OpsError
from engine.core.outbox_tables import OutboxItem
from engine.settings import EngineSettings
from engine.wiring import build_engine

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
ANN = Actor("U1", "ann")
ALERTS = [("HighLatency", "checkout"), ("HighErrorRate", "checkout"), ("DiskFull", "db"), ("HighLatency", "cart")]
CFG = AlertsConfig.model_validate({"depends_on": {"checkout": ["db"]}, "resolve_cooldown_s": 60})

step = st.one_of(
    st.tuples(st.sampled_from(["fire", "refire"]), st.sampled_from(ALERTS)),
    st.tuples(st.just("clear"), st.sampled_from(ALERTS)),
    st.tuples(st.sampled_from(["ack", "snooze", "resolve"]), st.integers(0, 2)),
    st.tuples(st.just("wait"), st.sampled_from([5, 30, 120, 900, 4000])),
)


def _body(alert: tuple[str, str], status: str, starts: datetime) -> bytes:
    name, svc = alert
    return json.dumps({"receiver": "opsbot", "status": status, "version": "4", "groupKey": f"g-{svc}",
                       "externalURL": "http://am:9093", "groupLabels": {}, "commonLabels": {},
                       "commonAnnotations": {}, "truncatedAlerts": 0, "alerts": [{
                           "status": status, "labels": {"alertname": name, "service": svc, "severity": "warning"},
                           "annotations": {}, "startsAt": starts.isoformat(), "generatorURL": "",
                           "endsAt": starts.isoformat() if status == "resolved" else "0001-01-01T00:00:00Z",
                           "fingerprint": f"{name}-{svc}"}]}).encode()


async def _play(steps: list[tuple[str, object]], folder: Path) -> None:
    clock = FakeClock(T0)
    engine = build_engine(EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{folder / 'opsbot.db'}"),
                          OpsbotConfig(alerts=CFG), clock=clock)
    db, svc = engine.db, engine.alerts
    await db.run_sync(SQLModel.metadata.create_all)
    started: dict[tuple[str, str], datetime] = {}
    last: dict[tuple[str, str], datetime] = {}
    try:
        for kind, arg in steps:
            if kind == "fire":
                started.setdefault(arg, clock.now())  # a new occurrence starts when it first fires
                last[arg] = started[arg]
                await svc.receive("alertmanager", _body(arg, "firing", started[arg]))
            elif kind == "refire" and arg in last:  # the same occurrence firing again: a flap
                started[arg] = last[arg]
                await svc.receive("alertmanager", _body(arg, "firing", last[arg]))
            elif kind == "clear" and arg in started:
                await svc.receive("alertmanager", _body(arg, "resolved", started.pop(arg)))
            elif kind == "wait":
                clock.advance(arg)
                await svc.tick()
            elif kind in ("ack", "snooze", "resolve"):
                found = await svc.queries.incidents("all")
                if found:
                    target = found[arg % len(found)].id
                    try:
                        if kind == "ack":
                            await svc.acknowledge(target, ANN)
                        elif kind == "snooze":
                            await svc.snooze(target, 900, ANN)
                        else:
                            await svc.resolve(target, ANN)
                    except OpsError:
                        pass  # refused (already acked, resolved...): a refusal changes nothing
        for inc in await svc.queries.incidents("all"):
            if not inc.posted:
                continue
            async with db.session() as s:
                card = (await s.execute(select(OutboxItem).where(OutboxItem.key == f"incident:{inc.id}")
                                        .order_by(OutboxItem.id.desc()).limit(1))).scalars().first()
            assert card is not None, f"incident #{inc.id} is posted but has no card"
            async with db.session() as s:
                now = (await svc.ingest.enrich.card(s, inc)).as_context()
            assert incident_context(inc, CFG).keys() <= now.keys()  # the view of the incident, and more
            want = json.loads(json.dumps(now, default=str))
            got = {k: v for k, v in card.context.items() if k in want}
            assert got == want, f"card of #{inc.id} is stale after {steps}"
    finally:
        await engine.close()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=14))
def test_every_card_shows_its_incident_as_it_is_now(steps):
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_play(steps, Path(folder)))
