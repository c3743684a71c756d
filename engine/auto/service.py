"""Auto-remediation: match open incidents to runbook triggers, shadow or run, settle and trip.

One leased job (`auto-evaluate`) does the work, so one replica evaluates at a time; the
unique (trigger, incident) row and the approvals runner's compare-and-set claim make each
firing act once even if two replicas evaluated together."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from engine.alerts.lifecycle import Change
from engine.alerts.types import Incident
from engine.approvals import Plan
from engine.auto import breaker, store
from engine.auto.config import AutoConfig
from engine.auto.safety import plan_problems
from engine.auto.spec import TriggerSpec
from engine.auto.switch import KillSwitch, auto_actor
from engine.auto.tables import AutoFire
from engine.auto.triggers import Match, could_match, effective_mode, fixed_and_labelled, match, trigger_id, views
from engine.core.clock import Clock
from engine.auto.messages import AutoEvent
from engine.core.notices import Notice
from engine.core.outbox import emit
from engine.errors import OpsError
from engine.policy import Decision, decide_auto
from engine.runbooks.executor import KIND
from engine.runbooks.loader import LoadedRunbook
from engine.runbooks.params import bind
from engine.runbooks.plan import build_targets, dry_run, environment
from engine.runbooks.prefill import prefill

log = logging.getLogger("opsbot.auto")
JOB = "auto-evaluate"


@dataclass(frozen=True)
class Trigger:
    """A loaded trigger with its runbook."""

    id: str
    spec: TriggerSpec
    runbook: LoadedRunbook


class AutoService:
    """Evaluates triggers on open incidents; shadow firings are posted, auto firings run once."""

    def __init__(self, *, db: Any, clock: Clock, audit: Any, policy: Any, approvals: Any, runbooks: Any,
                 alerts: Any, switch: KillSwitch, config: AutoConfig, channel: str) -> None:
        self.db, self.clock, self.audit, self.policy = db, clock, audit, policy
        self.approvals, self.runbooks, self.alerts, self.switch = approvals, runbooks, alerts, switch
        self.config, self.channel = config, channel
        self.severity_label = getattr(getattr(alerts, "cfg", None), "severity_label", "severity")
        self._shown: dict[int, tuple[str, tuple[str, ...]]] = {}  # run progress last posted, per firing

    def max_runs(self, spec: TriggerSpec) -> int:
        """Return the trigger's run limit per window (its own, or the default)."""
        return spec.max_runs or self.config.max_runs

    def trip_after(self, trigger: str) -> int:
        """Return how many consecutive failed runs trip a trigger (its own, or the default)."""
        found = next((t.spec.trip_after for t in self.triggers() if t.id == trigger), None)
        return found or self.config.trip_after

    def triggers(self) -> list[Trigger]:
        """Return every trigger of every loaded runbook."""
        return [Trigger(trigger_id(lr.runbook.name, t.name), t, lr)
                for lr in self.runbooks.list() for t in lr.runbook.triggers]

    async def evaluate(self, now: datetime | None = None) -> int:
        """Scheduled job: settle finished runs, then fire triggers on open incidents; return firings."""
        now = now or self.clock.now()
        await self.settle(now)
        triggers = self.triggers()
        if not triggers:
            return 0
        for t in triggers:
            await store.ensure_trigger(self.db, t.id, t.spec.mode, now)
        incidents = [i for i in await self.alerts.queries.incidents("open", limit=200)
                     if i.opened_at >= now - timedelta(seconds=self.config.lookback_s)]
        done = {(f.trigger_id, f.incident_id) for f in await store.fires(self.db, incident_ids=[i.id for i in incidents])}
        fired = 0
        for inc in incidents:
            todo = [t for t in triggers if (t.id, inc.id) not in done and could_match(t.spec, inc.alertnames)]
            if not todo:
                continue
            alerts = views((await self.alerts.queries.incident(inc.id)).alerts)
            for t in todo:
                m = match(t.spec, alerts, now, self.severity_label)
                if m.matched:
                    fired += await self._fire(t, inc, m, now)
        return fired

    async def _plan(self, t: Trigger, m: Match) -> tuple[Plan | None, str]:
        rb = t.runbook.runbook
        from_labels = {p.parameter: p.value for p in prefill(rb, m.labels) if not p.skipped}
        try:
            values = bind(rb.parameters, fixed_and_labelled(t.spec, rb.parameters, from_labels), rb.name)
            env = environment(rb, values)
            targets = await build_targets(rb, values, self.runbooks.models)
        except (OpsError, ValueError) as exc:
            return None, f"parameters: {getattr(exc, 'message', None) or exc}"
        return Plan(kind=KIND, title=f"runbook {rb.name}", env=env, parameters=values, targets=targets,
                    dry_run=dry_run(targets)), ""

    async def _fire(self, t: Trigger, inc: Incident, m: Match, now: datetime) -> int:
        plan, problem = await self._plan(t, m)
        rb = t.runbook.runbook.name
        rows = await store.triggers(self.db)
        mode = effective_mode(t.spec, rows.get(t.id))
        if plan is None:
            verdict = breaker.Gate(False, problem)
        else:
            policy = decide_auto(self.policy.config, f"runbook:{rb}", plan.env)
            verdict = breaker.gate(mode=mode, paused=await self.switch.paused(), safety=plan_problems(plan.targets),
                                   policy_effect=policy.effect, policy_reason=policy.reason,
                                   recent_runs=0, max_runs=self.max_runs(t.spec))
        fire = AutoFire(trigger_id=t.id, runbook=rb, incident_id=inc.id, mode="auto" if verdict.run else "shadow",
                        reason=verdict.reason, env=plan.env if plan else "",
                        parameters=plan.parameters if plan else {}, plan_hash=plan.digest() if plan else "",
                        dry_run=plan.dry_run if plan else "", incident_opened_at=inc.opened_at, fired_at=now)
        try:
            async with self.db.session() as s:
                await store.lock_trigger(s, t.id)  # serializes the run count across replicas
                if verdict.run:
                    window = t.spec.window_s or self.config.window_s
                    recent = await store.recent_runs(s, t.id, now - timedelta(seconds=window))
                    if recent >= self.max_runs(t.spec):
                        verdict = breaker.gate(mode=mode, paused=False, safety=[], policy_effect="auto",
                                               policy_reason="", recent_runs=recent, max_runs=self.max_runs(t.spec))
                        fire.mode, fire.reason = "shadow", verdict.reason
                s.add(fire)
                await s.flush()
                await emit(s, self._notice(fire, inc, mode), now)
                await self.audit.append(s, actor=auto_actor(t.id), action=f"auto.{fire.mode}",
                                        subject=f"incident:{inc.id}",
                                        data={"trigger": t.id, "reason": fire.reason, "plan_hash": fire.plan_hash,
                                              "parameters": fire.parameters})
                s.expunge(fire)
        except IntegrityError:
            return 0  # another replica recorded this trigger on this incident first
        if fire.mode == "auto" and plan is not None:
            await self._run(t, fire, plan, inc)
        return 1

    async def _run(self, t: Trigger, fire: AutoFire, plan: Plan, inc: Incident) -> None:
        decision = Decision("auto", f"runbook:{fire.runbook}", plan.env, "auto_by_rule")
        try:
            req = await self.approvals.request(auto_actor(t.id), plan, decision, inc.channel)
        except OpsError as exc:
            log.warning("automatic run of %s refused: %s", t.id, exc.message)
            await store.set_request(self.db, fire.id or 0, None, breaker.REFUSED)
            return
        await store.set_request(self.db, fire.id or 0, req.id)

    def _notice(self, fire: AutoFire, inc: Incident, mode: str, progress: list[str] | None = None,
                state: str = "running", request: int | None = None) -> Notice:
        what = "running" if fire.mode == "auto" else "not_run" if mode == "auto" else "would_run"
        event = AutoEvent(kind=fire.mode, event=what, runbook=fire.runbook, body=fire.dry_run, reason=fire.reason,
                          trigger=fire.trigger_id, incident=inc.id, parameters=fire.parameters,
                          plan_hash=fire.plan_hash[:12], progress=progress or [], state=state, request=request)
        return Notice.of(event, key=f"auto:fire:{fire.id}", channel=inc.channel, thread_key=f"incident:{inc.id}")

    async def settle(self, now: datetime) -> int:
        """Record how finished automatic runs ended, update breakers, and tell the incident."""
        done = 0
        for fire in await store.fires(self.db, unsettled=True):
            row, _ = await self.approvals.get(fire.request_id)
            await self._progress(fire, row)
            if row.state not in ("succeeded", "failed", "cancelled", "interrupted", "conflict"):
                continue
            outcome = breaker.outcome_of(row.state, row.result or {}, row.reason)
            if await self._settle_one(fire, outcome, row.reason, now):
                done += 1
                await self._tell_incident(fire, outcome, row.reason)
        return done

    async def _progress(self, fire: AutoFire, row: Any) -> None:
        """Re-render the run's note in the incident thread with its steps so far (once per change)."""
        lines = [f"{p.get('status', '')}: {p.get('name', '')} {p.get('summary', '')}".strip() for p in row.progress]
        seen = (row.state, tuple(lines))
        if self._shown.get(fire.id or 0) == seen:
            return
        self._shown[fire.id or 0] = seen
        inc = (await self.alerts.queries.incident(fire.incident_id)).incident
        notice = self._notice(fire, inc, "auto", progress=lines[-20:], state=row.state, request=fire.request_id)
        async with self.db.session() as s:
            await emit(s, notice, self.clock.now())

    async def _settle_one(self, fire: AutoFire, outcome: str, reason: str, now: datetime) -> bool:
        async with self.db.session() as s:
            state = await store.lock_trigger(s, fire.trigger_id)
            if not await store.settle(s, fire.id or 0, outcome, now):
                return False  # another replica settled it
            if state is None:
                return True
            count, trip = breaker.after_outcome(state.consecutive_failures, outcome, self.trip_after(fire.trigger_id))
            state.consecutive_failures = count
            if trip and state.source != "tripped":
                state.mode, state.source, state.updated_at = "shadow", "tripped", now
                state.reason = f"{count} consecutive failed automatic runs; last: {reason[:300]}"
                trip_event = AutoEvent(
                    kind="tripped", event="tripped", trigger=fire.trigger_id, failures=count, reason=reason[:500])
                await emit(s, Notice.of(trip_event, key=f"auto:trip:{fire.trigger_id}:{fire.id}",
                                        channel=self.channel), now)
                await self.audit.append(s, actor="opsbot", action="auto.tripped", subject=f"auto:{fire.trigger_id}",
                                        data={"consecutive_failures": count, "fire": fire.id})
            s.add(state)
            await self.audit.append(s, actor="opsbot", action=f"auto.{outcome}", subject=f"incident:{fire.incident_id}",
                                    data={"trigger": fire.trigger_id, "request": fire.request_id,
                                          "reason": reason[:500]})
        return True

    async def _tell_incident(self, fire: AutoFire, outcome: str, reason: str) -> None:
        actor = auto_actor(fire.trigger_id)
        try:
            if outcome == breaker.SUCCEEDED:
                await self.alerts.resolve(fire.incident_id, actor)
            else:
                # The card re-renders from auto_fire (enrich_incident) with Acknowledge and Run...
                await self.alerts.note(fire.incident_id, actor, Change("auto_run", outcome=outcome, text=reason[:300]))
        except OpsError as exc:
            log.info("incident #%s not updated after automatic run: %s", fire.incident_id, exc.message)
        inc = (await self.alerts.queries.incident(fire.incident_id)).incident
        page = outcome != breaker.SUCCEEDED
        async with self.db.session() as s:
            event = AutoEvent(kind="page" if page else "done", event=outcome, body=reason[:1500],
                              trigger=fire.trigger_id, incident=inc.id, request=fire.request_id)
            await emit(s, Notice.of(event, key=f"auto:done:{fire.id}", channel=inc.channel,
                                    thread_key=f"incident:{inc.id}"), self.clock.now())

