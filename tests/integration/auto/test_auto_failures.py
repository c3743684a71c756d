"""A failing verify rolls back and pages; the breaker trips after two; the kill switch stops runs."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import col, select

from auto_helpers import ADMIN, SRE, am_body, headline, runbook_yaml
from engine.approvals.tables import ApprovalRequest
from engine.auto.modes import request_mode
from engine.auto.report import why as auto_why
from engine.auto.tables import AutoFire, AutoTrigger
from engine.core.outbox_tables import OutboxItem
from engine.errors import Forbidden

FAILING = "vector(0)"  # real Prometheus answers 0; the verify wants 1


async def fire_on(eng, service: str, group: str, minutes_ago: float = 5) -> int:
    """Send a storm for one service and evaluate; return the incident id it opened."""
    await eng.alerts.receive("alertmanager", am_body([("ApiDown", service, "critical"),
                                                      ("HighLatency", f"{service}-web", "warning")],
                                                     minutes_ago=minutes_ago, group=group))
    await eng.auto.evaluate()
    await eng.approvals.wait_idle()
    await eng.auto.settle(eng.clock.now())
    return max(i.id for i in await eng.alerts.queries.incidents("all"))


async def fires(eng) -> list[AutoFire]:
    async with eng.db.session() as s:
        return list((await s.exec(select(AutoFire).order_by(col(AutoFire.id)))).all())


async def latest(eng, key: str) -> OutboxItem:
    async with eng.db.session() as s:
        return (await s.exec(select(OutboxItem).where(col(OutboxItem.key) == key)
                             .order_by(col(OutboxItem.id).desc()))).first()


async def test_failed_verify_runs_rollback_and_pages_the_humans(db_url, make_engine, tmp_path):
    marker = tmp_path / "ran.txt"
    eng = await make_engine(db_url, runbook_yaml(marker, verify=FAILING))
    incident = await fire_on(eng, "api", "g1")
    assert marker.read_text() == "drain\nrestart\nrollback\n"
    [fire] = await fires(eng)
    assert (fire.mode, fire.outcome) == ("auto", "rolled_back")
    card = await latest(eng, f"incident:{incident}")
    assert card.context["auto_status"].startswith("auto-remediation failed, rolled back")
    assert card.context["suggested_runbooks"][0] == {"name": "restart-api"}  # its manual Run... button
    assert card.context["status"] == "open"  # Acknowledge stays on the card
    page = await latest(eng, f"auto:done:{fire.id}")
    assert page.thread_key == f"incident:{incident}" and page.context["kind"] == "page"
    assert headline(page) == "Auto-remediation failed, rolled back"


async def test_breaker_trips_to_shadow_after_two_failed_verifies_and_rearming_needs_approval(
        db_url, make_engine, tmp_path):
    marker = tmp_path / "ran.txt"
    eng = await make_engine(db_url, runbook_yaml(marker, verify=FAILING))
    # Storms an hour apart: the same root alert on unrelated roots within minutes is one cause to
    # the grouping model (docs/grouping.md), and this test needs three incidents.
    await fire_on(eng, "api", "g1", minutes_ago=125)
    await fire_on(eng, "billing", "g2", minutes_ago=65)
    third = await fire_on(eng, "search", "g3")
    modes = [(f.mode, f.outcome) for f in await fires(eng)]
    assert modes == [("auto", "rolled_back"), ("auto", "rolled_back"), ("shadow", "")]
    async with eng.db.session() as s:
        state = await s.get(AutoTrigger, "restart-api/api-down")
    assert (state.mode, state.source, state.consecutive_failures) == ("shadow", "tripped", 2)
    async with eng.db.session() as s:
        trips = (await s.exec(select(OutboxItem).where(col(OutboxItem.key).startswith("auto:trip:")))).all()
    assert len(trips) == 1 and "tripped to shadow mode" in headline(trips[0])
    assert trips[0].thread_key is None  # said in the channel
    assert (await auto_why(eng.auto, third))[0].reason == "shadow_mode"
    # Re-arming is an approved action: requested by an admin, approved by someone else.
    req = await request_mode(eng.auto, ADMIN, "restart-api/api-down", "auto")
    assert req.state == "requested" and req.title == "re-arm trigger restart-api/api-down to auto mode"
    await eng.approvals.approve(req.id, SRE)
    await eng.approvals.wait_idle()
    async with eng.db.session() as s:
        state = await s.get(AutoTrigger, "restart-api/api-down", populate_existing=True)
    assert (state.mode, state.source, state.consecutive_failures) == ("auto", "rearmed", 0)
    with pytest.raises(Forbidden):
        await request_mode(eng.auto, SRE, "restart-api/api-down", "shadow")  # sre may not change modes


async def test_kill_switch_during_a_run_finishes_the_step_and_starts_nothing_new(db_url, make_engine, tmp_path):
    marker = tmp_path / "ran.txt"
    eng = await make_engine(db_url, runbook_yaml(marker, first_sleep=1.5))
    await eng.alerts.receive("alertmanager", am_body([("ApiDown", "api", "critical")], minutes_ago=65, group="g1"))
    await eng.auto.evaluate()
    async with eng.db.session() as s:
        [req] = (await s.exec(select(ApprovalRequest))).all()
    for _ in range(100):  # the first step is in flight
        row, _ = await eng.approvals.get(req.id)
        if row.progress:
            break
        await asyncio.sleep(0.02)
    with pytest.raises(Forbidden):
        await eng.auto.switch.set(SRE, True)  # role-gated
    await eng.auto.switch.set(ADMIN, True, "bad deploy in flight")
    await eng.approvals.wait_idle()
    assert marker.read_text() == "drain\n"  # the current step finished; the next never started
    await eng.auto.settle(eng.clock.now())
    row, _ = await eng.approvals.get(req.id)
    assert row.state == "failed" and row.reason.startswith("stopped after drain: auto-remediation paused by ada")
    await eng.alerts.receive("alertmanager", am_body([("ApiDown", "billing", "critical")], group="g2"))
    await eng.auto.evaluate()
    assert [(f.mode, f.outcome, f.reason) for f in await fires(eng)] == [
        ("auto", "halted", "auto"), ("shadow", "", "kill_switch")]
    assert ("ada", "auto.paused") in [(e.actor_name, e.action) for e in await eng.audit.recent(50)]
    await eng.auto.switch.set(ADMIN, False)
    assert not await eng.auto.switch.paused()


async def test_run_limit_per_window_records_the_rest_in_shadow(db_url, make_engine, tmp_path):
    marker = tmp_path / "ran.txt"
    eng = await make_engine(db_url, runbook_yaml(marker), max_runs=1)  # the `auto:` default
    await fire_on(eng, "api", "g1", minutes_ago=65)
    await fire_on(eng, "billing", "g2")
    got = [(f.mode, f.reason.split(":")[0]) for f in await fires(eng)]
    assert got == [("auto", "auto"), ("shadow", "rate_limited")]


async def test_a_trigger_may_set_its_own_run_limit(db_url, make_engine, tmp_path):
    text = runbook_yaml(tmp_path / "ran.txt").replace("    mode: auto\n", "    mode: auto\n    max_runs: 2\n    window: 1h\n")
    assert "max_runs: 2" in text
    eng = await make_engine(db_url, text, max_runs=1)
    for i, service in enumerate(("api", "billing", "search")):
        await fire_on(eng, service, f"g{i}", minutes_ago=5 + 60 * (2 - i))  # an hour apart, oldest first
    got = [(f.mode, f.reason.split(":")[0]) for f in await fires(eng)]
    assert got == [("auto", "auto"), ("auto", "auto"), ("shadow", "rate_limited")]
