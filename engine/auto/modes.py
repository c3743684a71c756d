"""Changing a trigger's mode is itself an approved, audited action: promote, re-arm, demote."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.actor import Actor
from engine.approvals import ApprovalRequest, Plan
from engine.approvals.types import Outcome, RunContext
from engine.auto import store
from engine.auto.safety import runbook_problems
from engine.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from engine.auto.service import AutoService

KIND = "auto_mode"
PROMOTE_ACTION = "auto:promote"  # the policy action a mode change is requested under


def _find(auto: "AutoService", trigger: str) -> Any:
    found = next((t for t in auto.triggers() if t.id == trigger), None)
    if found is None:
        known = ", ".join(t.id for t in auto.triggers()) or "none declared"
        raise NotFound(f"no trigger {trigger!r}", hint=f"known: {known}")
    return found


async def request_mode(auto: "AutoService", actor: Actor, trigger: str, mode: str) -> ApprovalRequest:
    """Ask approvals to set a trigger's mode (auto: promote or re-arm; shadow: demote)."""
    if mode not in ("auto", "shadow"):
        raise InvalidInput(f"unknown mode {mode!r}", hint="auto or shadow")
    t = _find(auto, trigger)
    if mode == "auto" and (why := runbook_problems(t.runbook.runbook)):
        raise Conflict(f"runbook {t.runbook.runbook.name} cannot run automatically: {'; '.join(why)}")
    rows = await store.triggers(auto.db)
    row = rows.get(trigger)
    source = "rearmed" if row is not None and row.source == "tripped" else ("promoted" if mode == "auto" else "demoted")
    env = auto.switch.env
    decision = (await auto.policy.decide(actor, PROMOTE_ACTION, env)).require()
    verb = {"rearmed": "re-arm", "promoted": "promote", "demoted": "demote"}[source]
    plan = Plan(kind=KIND, title=f"{verb} trigger {trigger} to {mode} mode", env=env,
                parameters={"trigger": trigger, "mode": mode, "source": source},
                dry_run=f"set trigger {trigger} to {mode} mode ({verb})")
    request: ApprovalRequest = await auto.approvals.request(actor, plan, decision, auto.channel)
    return request


class ModeExecutor:
    """Executes an approved mode change: writes the trigger's state row (the runner audits the run)."""

    kind = KIND

    def __init__(self, auto: "AutoService") -> None:
        self.auto = auto

    async def precondition(self, parameters: dict[str, Any], targets: dict[str, Any]) -> str | None:
        """Return why the change no longer applies (the trigger is gone), or None."""
        if not any(t.id == parameters.get("trigger") for t in self.auto.triggers()):
            return f"trigger {parameters.get('trigger')!r} no longer exists"
        return None

    async def execute(self, ctx: RunContext) -> Outcome:
        """Set the mode, reset the breaker count."""
        trigger, mode, source = ctx.parameters["trigger"], ctx.parameters["mode"], ctx.parameters["source"]
        now = self.auto.clock.now()
        await store.ensure_trigger(self.auto.db, trigger, mode, now)
        async with self.auto.db.session() as s:
            row = await store.lock_trigger(s, trigger)
            assert row is not None
            row.mode, row.source, row.consecutive_failures, row.updated_at = mode, source, 0, now
            row.reason = f"{source} by approved request #{ctx.request_id}"
            s.add(row)
        await ctx.step("set-mode", "ok", f"trigger {trigger} is now in {mode} mode")
        return Outcome(True, f"trigger {trigger} is now in {mode} mode ({source})")
