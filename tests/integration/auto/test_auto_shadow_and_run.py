"""Shadow mode, then auto mode, on an alert storm whose root alert matches a trigger."""

from __future__ import annotations

import asyncio

from sqlmodel import col, select

from auto_helpers import am_body, headline as _headline, runbook_yaml
from engine.approvals.tables import ApprovalRequest
from engine.auto.report import report as auto_report
from engine.auto.tables import AutoFire
from engine.core.outbox_tables import OutboxItem
from engine.store.db import Database

STORM = [("ApiDown", "api", "critical"), ("HighLatency", "web", "warning"), ("HighErrorRate", "checkout", "warning")]


async def thread_notices(db: Database, template: str = "auto/event") -> list[OutboxItem]:
    async with db.session() as s:
        return list((await s.exec(select(OutboxItem).where(col(OutboxItem.template) == template)
                                  .order_by(col(OutboxItem.id)))).all())


async def only_incident(eng) -> int:
    incidents = await eng.alerts.queries.incidents("all")
    return incidents[0].id


async def test_shadow_mode_posts_the_frozen_plan_and_runs_nothing(db_url, make_engine, tmp_path):
    marker = tmp_path / "ran.txt"
    eng = await make_engine(db_url, runbook_yaml(marker, mode="shadow"))
    await eng.alerts.receive("alertmanager", am_body(STORM))
    incident = await only_incident(eng)
    assert await eng.auto.evaluate() == 1
    assert await eng.auto.evaluate() == 0  # once per trigger and incident
    await asyncio.sleep(0.3)
    assert not marker.exists()
    async with eng.db.session() as s:
        fires = (await s.exec(select(AutoFire))).all()
        assert [(f.trigger_id, f.incident_id, f.mode, f.reason) for f in fires] == [
            ("restart-api/api-down", incident, "shadow", "shadow_mode")]
        assert fires[0].parameters == {"service": "api"}  # from the root alert's labels
        assert (await s.exec(select(ApprovalRequest))).all() == []
    [notice] = await thread_notices(eng.db)
    assert notice.thread_key == f"incident:{incident}"
    assert "would have run `restart-api`" in _headline(notice)
    assert "1. drain: run" in notice.context["body"] and "rollback: 1. undo" in notice.context["body"]
    report = await auto_report(eng.auto, 30)
    [row] = report.triggers
    assert (row.trigger, row.mode, row.fired, row.still_open, row.incidents) == (
        "restart-api/api-down", "shadow", 1, 1, [incident])


async def test_auto_mode_runs_once_verifies_against_prometheus_and_resolves(db_url, make_engine, tmp_path):
    marker = tmp_path / "ran.txt"
    eng = await make_engine(db_url, runbook_yaml(marker))
    await eng.alerts.receive("alertmanager", am_body(STORM))
    incident = await only_incident(eng)
    assert await eng.auto.evaluate() == 1
    await eng.approvals.wait_idle()
    assert await eng.auto.settle(eng.clock.now()) == 1
    assert marker.read_text() == "drain\nrestart\n"
    async with eng.db.session() as s:
        [fire] = (await s.exec(select(AutoFire))).all()
        [req] = (await s.exec(select(ApprovalRequest))).all()
    assert (fire.mode, fire.outcome, fire.request_id) == ("auto", "succeeded", req.id)
    assert req.requester_name == "Opsbot's restart-api/api-down trigger" and req.state == "succeeded"
    assert [p["name"] for p in req.progress] == ["drain", "restart", "healthy"]
    assert (await eng.alerts.queries.incident(incident)).incident.status.value == "resolved"
    notes = {n.key: n for n in await thread_notices(eng.db)}  # the latest of each living thread message
    progress = notes[f"auto:fire:{fire.id}"]
    assert progress.thread_key == f"incident:{incident}" and progress.context["state"] == "succeeded"
    assert [line.split()[:2] for line in progress.context["progress"]] == [
        ["ok:", "drain"], ["ok:", "restart"], ["ok:", "healthy"]]
    assert "verify passed" in _headline(notes[f"auto:done:{fire.id}"])
    events = [(e.actor_name, e.action) for e in await eng.audit.recent(50)]
    assert ("Opsbot's restart-api/api-down trigger", "approval.requested") in events
    assert (await eng.audit.verify()).ok


async def test_two_replicas_on_postgres_run_a_trigger_exactly_once(fresh_pg, make_engine, tmp_path):
    url = fresh_pg
    marker = tmp_path / "ran.txt"
    a = await make_engine(url, runbook_yaml(marker), replica="a")
    b = await make_engine(url, runbook_yaml(marker), replica="b")
    body = am_body(STORM)
    await asyncio.gather(a.alerts.receive("alertmanager", body), b.alerts.receive("alertmanager", body))
    fired = await asyncio.gather(*(e.auto.evaluate() for e in (a, b, a, b)))
    assert sum(fired) == 1
    await asyncio.gather(a.approvals.wait_idle(), b.approvals.wait_idle())
    settled = await asyncio.gather(a.auto.settle(a.clock.now()), b.auto.settle(b.clock.now()))
    assert sum(settled) == 1
    assert marker.read_text() == "drain\nrestart\n"
    async with a.db.session() as s:
        assert len((await s.exec(select(AutoFire))).all()) == 1
        assert len((await s.exec(select(ApprovalRequest))).all()) == 1
    assert [e.action for e in await a.audit.recent(100)].count("run.started") == 1


async def test_an_unmarked_step_never_runs_automatically_even_with_an_auto_rule(db_url, make_engine, tmp_path):
    marker = tmp_path / "ran.txt"
    text = runbook_yaml(marker)
    unsafe = text.replace('"restart"], reversible: true}', '"restart"]}')
    assert unsafe != text
    eng = await make_engine(db_url, unsafe)  # `opsbot check` refuses this file; the engine refuses the run
    await eng.alerts.receive("alertmanager", am_body(STORM))
    assert await eng.auto.evaluate() == 1
    await asyncio.sleep(0.3)
    assert not marker.exists()
    async with eng.db.session() as s:
        [fire] = (await s.exec(select(AutoFire))).all()
        assert (await s.exec(select(ApprovalRequest))).all() == []
    assert fire.mode == "shadow" and fire.reason.startswith(
        "unsafe_plan: steps step 'restart' (command) is not marked reversible or read_only")
    [notice] = await thread_notices(eng.db)
    assert "did not run `restart-api`" in _headline(notice)
