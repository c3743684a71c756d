"""Watches end to end inside the engine: replayed series -> detector -> alert pipeline -> outbox."""

from __future__ import annotations

from datetime import datetime, timezone
import numpy as np
from sqlalchemy import select

from engine.actor import Actor
from engine.alerts.repo import A, I
from engine.lab.anomaly.demo import WATCH, demo_watches
from engine.anomaly.watches.config import DEFAULT_THRESHOLD
from engine.anomaly.watches.tables import AnomalySeries
from engine.core.clock import FakeClock
from engine.core.outbox_tables import OutboxItem
from tests.integration.anomaly.conftest import START, write_csv


async def _outbox(eng, template: str) -> list[OutboxItem]:
    async with eng.db.session() as s:
        return (await s.execute(select(OutboxItem).where(OutboxItem.template == template)
                                .order_by(OutboxItem.id))).scalars().all()


async def _series(eng) -> AnomalySeries:
    async with eng.db.session() as s:
        return (await s.execute(select(AnomalySeries))).scalar_one()


async def _alerts(eng) -> list:
    async with eng.db.session() as s:
        return (await s.execute(select(A.c.fingerprint, A.c.status, A.c.incident_id, A.c.annotations))).all()


async def test_anomaly_becomes_an_incident_with_evidence_then_resolves(make_engine, tmp_path):
    clock = FakeClock(START)
    eng = await make_engine(demo_watches(tmp_path), clock)
    result = await eng.watches.run(WATCH)
    assert result.ok and result.fired == 1 and result.points > 1000
    [alert] = await _alerts(eng)
    assert alert.status == "firing" and alert.fingerprint.startswith("anomaly:checkout-latency:")
    assert "outside the expected" in alert.annotations["summary"] and alert.annotations["since"]
    async with eng.db.session() as s:
        inc = (await s.execute(select(I.c.id, I.c.channel, I.c.title))).one()
    assert inc.channel == "incidents" and inc.title == "MetricAnomaly on checkout"  # the watch's channel
    [incident_msg] = await _outbox(eng, "alerts/incident")
    assert {a["action_id"] for a in incident_msg.context["extra_actions"]} == {"anomaly.not_anomaly", "anomaly.useful",
                                                                         "warroom.open"}
    [evidence] = await _outbox(eng, "anomaly/evidence")
    assert evidence.thread_key == f"incident:{inc.id}" and evidence.channel == "incidents"
    facts = evidence.context["facts"]
    lo, hi = (float(x) for x in facts["expected_range"].split(".."))
    assert float(facts["value"]) > hi > lo and float(facts["score"]) >= DEFAULT_THRESHOLD
    # Nothing new within the same minute; the jump ends two hours after it began.
    assert (await eng.watches.run(WATCH)).points == 0
    clock.advance(hours=3)
    result = await eng.watches.run(WATCH)
    assert result.resolved == 1 and result.points == 36
    assert [a.status for a in await _alerts(eng)] == ["resolved"]
    status = (await eng.watches.statuses())[0]
    assert status["status"] == "ok" and status["last_score"] is not None and status["series"] == 1


async def test_a_restart_continues_where_it_left_off(make_engine, tmp_path):
    clock = FakeClock(START)
    eng = await make_engine(demo_watches(tmp_path), clock)
    await eng.watches.run(WATCH)
    before = await _series(eng)
    await eng.close()
    clock.advance(minutes=10)
    again = await make_engine(demo_watches(tmp_path), clock)
    result = await again.watches.run(WATCH)
    after = await _series(again)
    assert result.points == 2 and after.scored_points == before.scored_points + 2
    assert after.firing and result.fired == 0  # the same anomaly is not alerted twice


async def test_not_an_anomaly_resolves_and_desensitizes_the_series(make_engine, tmp_path):
    clock = FakeClock(START)
    eng = await make_engine(demo_watches(tmp_path), clock)
    await eng.watches.run(WATCH)
    fp = (await _series(eng)).fingerprint
    alice = Actor("U0ALICE", "alice")
    useful = await eng.watches.feedback(fp, "useful", alice)
    assert useful["useful"] == 1
    assert (await eng.watches.feedback(fp, "useful", alice))["useful"] == 1  # one vote per person
    assert (await eng.watches.feedback(fp, "useful", Actor("U0BOB", "bob")))["useful"] == 2
    done = await eng.watches.feedback(fp, "not_anomaly", alice)  # alice changes her mind: it replaces hers
    assert (done["not_anomaly"], done["useful"]) == (1, 1)
    assert [a.status for a in await _alerts(eng)] == ["resolved"]
    row = await _series(eng)
    assert row.detector_state["floors"] != [0.0, 0.0, 0.0] and not row.firing
    edits = await _outbox(eng, "anomaly/evidence")
    assert [(f["kind"], f["by"]) for f in edits[-1].context["feedback"]] == [("useful", "bob"),
                                                                           ("not_anomaly", "alice")]
    clock.advance(minutes=5)
    result = await eng.watches.run(WATCH)  # re-scores since the anomaly silently, with the lesson learned
    assert result.ok and result.fired == 0 and result.points >= 4


async def test_muted_watch_learns_but_does_not_alert(make_engine, tmp_path):
    eng = await make_engine(demo_watches(tmp_path))
    await eng.watches.set_muted(WATCH, True, Actor("U0BOB", "bob"))
    result = await eng.watches.run(WATCH)
    assert result.ok and result.fired == 0 and result.points > 1000
    assert await _alerts(eng) == []
    assert (await eng.watches.statuses())[0]["status"] == "muted"


async def test_unreachable_prometheus_skips_ticks_and_backs_off(make_engine):
    from tests.servers import free_port

    clock = FakeClock(START)
    eng = await make_engine([{"name": "api-latency", "query": "latency_ms", "step": "1m", "lookback": "1h",
                              "timeout_s": 2}], clock, prometheus_url=f"http://127.0.0.1:{free_port()}")
    first = await eng.watches.run("api-latency")
    assert not first.ok and "not reachable" in first.error
    assert (await eng.watches.run("api-latency")).skipped.startswith("backing off")
    clock.advance(minutes=5)
    assert not (await eng.watches.run("api-latency")).skipped  # tried again after the back-off
    [status] = await eng.watches.statuses()
    assert status["status"] == "failing" and "not reachable" in status["last_error"]


async def test_forecast_alerts_ahead_of_the_limit_and_resolves_when_it_no_longer_crosses(make_engine, tmp_path):
    step = 300.0
    t = START.timestamp() + step * np.arange(-287, 145)  # a day up to now, then 12 h to replay
    rng = np.random.default_rng(3)
    disk = 60 + (t - t[0]) / 3600 + rng.normal(0, 0.3, len(t))  # +1 point an hour: 84% now
    disk[288:] = 70 + rng.normal(0, 0.3, len(t) - 288)  # then someone cleans up
    path = write_csv(tmp_path / "disk.csv", t, np.round(disk, 2))
    clock = FakeClock(START)
    watch = {"name": "disk-db", "replay": {"path": str(path), "start_row": 287}, "step": "5m",
             "lookback": "1d", "labels": {"service": "db"},
             "forecast": {"limit": 95, "horizon": "12h", "what": "disk"}}
    eng = await make_engine([watch], clock)
    result = await eng.watches.run("disk-db")
    assert result.fired == 1
    [alert] = await _alerts(eng)
    assert alert.fingerprint.startswith("forecast:")
    assert alert.annotations["summary"] == "disk on db passes 95 in about 11 h"
    assert alert.annotations["time_left"] == "11 h" and ".." in alert.annotations["forecast_range"]
    [evidence] = await _outbox(eng, "anomaly/evidence")
    assert evidence.context["kind"] == "forecast" and evidence.context["facts"]["time_left"] == "11 h"
    clock.advance(hours=12)
    result = await eng.watches.run("disk-db")
    assert result.resolved == 1 and [a.status for a in await _alerts(eng)] == ["resolved"]


async def test_a_firing_watch_whose_new_points_score_normal_says_when_it_resolves(make_engine, tmp_path):
    # `/ops watches` read "firing · last score 0.46" beside a 0.6 threshold, as if contradicting itself.
    clock = FakeClock(START)
    eng = await make_engine(demo_watches(tmp_path), clock)
    assert (await eng.watches.run(WATCH)).fired == 1
    [firing] = await eng.watches.statuses()
    assert firing["status"] == "firing" and firing["calm_since"] is None
    # Step through the rest of the jump: between its end and `resolve_after` later the watch still
    # fires, and says since when its points scored normal.
    calming = None
    for _ in range(60):
        clock.advance(minutes=5)
        if (await eng.watches.run(WATCH)).resolved:
            break
        [now] = await eng.watches.statuses()
        if now["calm_since"] is not None:
            calming = now
    assert calming is not None and calming["status"] == "firing"
    assert calming["resolve_after_s"] == 1800.0
    after = await _series(eng)
    assert not after.firing and after.last_anomalous_ts is not None
    assert calming["calm_since"] == datetime.fromtimestamp(after.last_anomalous_ts, timezone.utc).isoformat()
