"""`/ops auto report [30d]`, `/ops why` and `/ops stats` answers, read from auto_fire and approvals."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from engine.approvals.tables import ApprovalRequest
from engine.auto import store
from engine.auto.breaker import SUCCEEDED
from engine.auto.switch import AUTO_ACTOR_ID
from engine.auto.triggers import could_match, effective_mode, match, views
from engine.core.bounds import check_period_days
from engine.errors import NotFound

if TYPE_CHECKING:
    from engine.auto.service import AutoService


@dataclass
class TriggerReport:
    """One trigger over the window: how often it fired, on which incidents, and how they ended."""

    trigger: str
    runbook: str
    mode: str
    state: str  # config | promoted | tripped | rearmed | demoted
    fired: int = 0
    ran: int = 0
    incidents: list[int] = field(default_factory=list)
    resolved_by_themselves: int = 0
    resolved_by_person_run: int = 0
    resolved_by_auto: int = 0
    still_open: int = 0


@dataclass
class Report:
    """Every trigger's report, and whether the kill switch is on."""

    days: int
    paused: bool
    triggers: list[TriggerReport]


OTHER_ALERT = "other_alert"  # a trigger for an alert name the incident never held


@dataclass
class WhyLine:
    """Why one trigger did (or did not) act on an incident."""

    trigger: str
    matched: bool
    reason: str
    detail: str


@dataclass
class AutoStats:
    """Automatic runs in the window, their success rate and the minutes they saved."""

    days: int
    runs: int
    succeeded: int
    minutes_saved: float
    baseline_runs: int  # manual runs the per-runbook median came from

    @property
    def success_rate(self) -> float | None:
        """Return succeeded / runs, or None without runs."""
        return self.succeeded / self.runs if self.runs else None


async def _manual_runs(auto: "AutoService", runbook: str, since: datetime) -> list[ApprovalRequest]:
    async with auto.db.session() as s:
        rows = (await s.exec(select(ApprovalRequest).where(
            col(ApprovalRequest.kind) == "runbook", col(ApprovalRequest.requester) != AUTO_ACTOR_ID,
            col(ApprovalRequest.title) == f"runbook {runbook}", col(ApprovalRequest.state) == SUCCEEDED,
            col(ApprovalRequest.created_at) >= since))).all()
        for r in rows:
            s.expunge(r)
    return list(rows)


def _within(run: ApprovalRequest, opened: datetime, closed: datetime | None) -> bool:
    created = run.created_at if run.created_at.tzinfo else run.created_at.replace(tzinfo=opened.tzinfo)
    return created >= opened and (closed is None or created <= closed)


async def report(auto: "AutoService", days: int) -> Report:
    """Return, per trigger, its firings in the window and how those incidents ended."""
    since = auto.clock.now() - check_period_days(days)
    states = await store.triggers(auto.db)
    out: dict[str, TriggerReport] = {}
    for t in auto.triggers():
        row = states.get(t.id)
        out[t.id] = TriggerReport(t.id, t.runbook.runbook.name, effective_mode(t.spec, row),
                                  row.source if row else "config")
    for fire in await store.fires(auto.db, since=since):
        rep = out.get(fire.trigger_id)
        if rep is None:
            continue  # a trigger removed from its file since
        rep.fired += 1
        rep.ran += fire.mode == "auto"
        rep.incidents.append(fire.incident_id)
        try:
            inc = (await auto.alerts.queries.incident(fire.incident_id)).incident
        except NotFound:
            continue
        if inc.is_open:
            rep.still_open += 1
        elif fire.outcome == SUCCEEDED:
            rep.resolved_by_auto += 1
        elif any(_within(r, inc.opened_at, inc.resolved_at) for r in await _manual_runs(auto, fire.runbook, since)):
            rep.resolved_by_person_run += 1
        else:
            rep.resolved_by_themselves += 1
    return Report(days, await auto.switch.paused(), list(out.values()))


async def why(auto: "AutoService", incident_id: int) -> list[WhyLine]:
    """Return, per trigger, what it did on the incident, or why it did not match."""
    detail = await auto.alerts.queries.incident(incident_id)
    done = {f.trigger_id: f for f in await store.fires(auto.db, incident_ids=[incident_id])}
    lines = []
    for t in auto.triggers():
        fire = done.get(t.id)
        if fire is not None:
            what = ("ran " + fire.runbook + (f": {fire.outcome}" if fire.outcome else " (running)")
                    if fire.mode == "auto" else f"shadow: would have run {fire.runbook}")
            lines.append(WhyLine(t.id, True, fire.reason, what))
            continue
        if not could_match(t.spec, detail.incident.alertnames):
            # Not a near miss: the incident never held the alert it watches (the template counts these).
            lines.append(WhyLine(t.id, False, OTHER_ALERT, f"watches {t.spec.wanted().get('alertname')}"))
            continue
        m = match(t.spec, views(detail.alerts), auto.clock.now(), auto.severity_label)
        lines.append(WhyLine(t.id, m.matched, m.reason, m.detail))
    return lines


async def stats(auto: "AutoService", days: int) -> AutoStats:
    """Return automatic runs, successes and minutes saved against the median manual time-to-run."""
    since = auto.clock.now() - check_period_days(days)
    runs = [f for f in await store.fires(auto.db, since=since) if f.mode == "auto" and f.outcome]
    ok = [f for f in runs if f.outcome == SUCCEEDED]
    saved, baseline_n = 0.0, 0
    for name in {f.runbook for f in ok}:
        manual = await _manual_runs(auto, name, since - timedelta(days=90))
        waits = []
        for r in manual:
            inc = await _incident_before(auto, r)
            if inc is not None and r.finished_at is not None:
                waits.append((_aware(r.finished_at) - inc).total_seconds())
        if not waits:
            continue  # no manual baseline for this runbook: nothing is claimed
        baseline_n += len(waits)
        median = statistics.median(waits)
        for f in ok:
            if f.runbook == name and f.settled_at is not None:
                saved += max(0.0, median - (f.settled_at - f.incident_opened_at).total_seconds())
    return AutoStats(days, len(runs), len(ok), round(saved / 60, 1), baseline_n)


def _aware(dt: datetime) -> datetime:
    from engine.core.clock import utc

    return utc(dt)


async def _incident_before(auto: "AutoService", run: ApprovalRequest) -> datetime | None:
    """Return when the latest incident opened before a manual run (the incident it answered), or None."""
    incidents: list[Any] = await auto.alerts.queries.incidents("all", limit=200)
    created = _aware(run.created_at)
    opened = [i.opened_at for i in incidents if i.opened_at <= created and
              (i.resolved_at is None or i.resolved_at >= created)]
    return max(opened) if opened else None
