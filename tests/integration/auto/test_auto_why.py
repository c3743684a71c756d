"""`/ops why <incident>` names the triggers that applied or nearly did, and only counts the rest."""

from __future__ import annotations

from auto_helpers import am_body, runbook_yaml
from bot.render import render
from engine.auto.report import OTHER_ALERT
from engine.auto.report import why as auto_why


async def _incident(eng, alerts: list[tuple[str, str, str]], group: str) -> int:
    await eng.alerts.receive("alertmanager", am_body(alerts, group=group))
    return max(i.id for i in await eng.alerts.queries.incidents("all"))


async def test_a_trigger_for_an_alert_the_incident_never_held_is_counted_not_explained(db_url, make_engine, tmp_path):
    eng = await make_engine(db_url, runbook_yaml(tmp_path / "ran.txt", mode="shadow"))
    unrelated = await _incident(eng, [("DiskFull", "logs", "critical")], "g1")
    near = await _incident(eng, [("ApiDown", "api", "warning")], "g2")  # the alert, not its severity

    (line,) = await auto_why(eng.auto, unrelated)
    assert (line.trigger, line.matched, line.reason) == ("restart-api/api-down", False, OTHER_ALERT)
    (line,) = await auto_why(eng.auto, near)
    assert (line.matched, line.reason) == (False, "severity_differs")

    def said(incident_lines) -> str:
        msg = render("alerts/why", {"subject": "incident #1", "decisions": [], "state": {}, "next_due_at": None,
                                    "auto": [vars(x) for x in incident_lines]})
        return msg["blocks"][-1]["text"]["text"]

    assert "No trigger applies: 1 trigger watches alerts this incident does not hold: `restart-api/api-down`" in \
        said(await auto_why(eng.auto, unrelated))
    assert "`restart-api/api-down` did not match: matching alerts are not critical" in \
        said(await auto_why(eng.auto, near))
