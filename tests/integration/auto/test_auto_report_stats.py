"""The report says how shadow incidents ended; stats count automatic runs and the minutes they saved."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from auto_helpers import SRE, am_body, runbook_yaml
from engine.alerts.tables import IncidentRow
from engine.auto.report import report, stats


async def test_report_counts_an_incident_a_person_fixed_with_the_runbook(db_url, make_engine, tmp_path):
    eng = await make_engine(db_url, runbook_yaml(tmp_path / "ran.txt", mode="shadow"))
    # Two separate incidents: an hour apart (the same alert at the same instant on two services is
    # evidence of one cause, and the grouping model joins them).
    await eng.alerts.receive("alertmanager", am_body([("ApiDown", "api", "critical")], minutes_ago=65, group="g1"))
    await eng.alerts.receive("alertmanager", am_body([("ApiDown", "billing", "critical")], group="g2"))
    assert await eng.auto.evaluate() == 2
    first, second = sorted(i.id for i in await eng.alerts.queries.incidents("all"))
    req = await eng.runbooks.request(SRE, "restart-api", {"service": "api"})  # a person runs it
    await eng.approvals.wait_idle()
    assert (await eng.approvals.get(req.id))[0].state == "succeeded"
    await eng.alerts.resolve(first, SRE)
    [row] = (await report(eng.auto, 30)).triggers
    assert (row.fired, row.ran, sorted(row.incidents)) == (2, 0, [first, second])
    assert (row.resolved_by_person_run, row.resolved_by_themselves, row.still_open) == (1, 0, 1)


async def test_stats_count_runs_and_minutes_saved_against_the_median_manual_run(db_url, make_engine, tmp_path):
    eng = await make_engine(db_url, runbook_yaml(tmp_path / "ran.txt"))
    empty = await stats(eng.auto, 7)
    assert (empty.runs, empty.success_rate, empty.minutes_saved) == (0, None, 0.0)
    # A manual run of the same runbook during an earlier incident (opened 20 minutes before it, below).
    await eng.alerts.receive("alertmanager", am_body([("HighLatency", "web", "warning")], group="g0"))
    [manual_incident] = await eng.alerts.queries.incidents("all")
    await eng.runbooks.request(SRE, "restart-api", {"service": "web"})
    await eng.approvals.wait_idle()
    # Then the trigger remediates a new incident by itself within seconds.
    await eng.alerts.receive("alertmanager", am_body([("ApiDown", "api", "critical")], group="g1"))
    assert await eng.auto.evaluate() == 1
    await eng.approvals.wait_idle()
    await eng.auto.settle(eng.clock.now())
    async with eng.db.session() as s:  # history: that incident had been open 20 minutes when the person ran it
        await s.exec(update(IncidentRow).where(IncidentRow.id == manual_incident.id)
                     .values(opened_at=manual_incident.opened_at - timedelta(minutes=20)))
    got = await stats(eng.auto, 7)
    assert (got.runs, got.succeeded, got.success_rate, got.baseline_runs) == (1, 1, 1.0, 1)
    assert 19.0 <= got.minutes_saved <= 20.1, got
