"""Runbooks as the user sees them: list, show, preview (dry run) and request a run."""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass, replace
from typing import Any

from engine.actor import Actor
from engine.approvals import Approvals, ApprovalRequest, Plan
from engine.errors import InvalidInput
from engine.policy import Decision, Policy
from engine.runbooks.executor import KIND
from engine.runbooks.loader import LoadedRunbook, Registry
from engine.runbooks.params import bind
from engine.runbooks.plan import build_targets, dry_run, environment
from engine.ports import AliasControl
from engine.runbooks.spec import Runbook


@dataclass(frozen=True)
class Preview:
    """A dry run: the frozen plan and what policy says about running it."""

    plan: Plan
    decision: Decision


def parse_args(words: list[str]) -> dict[str, str]:
    """Turn ['key=value', ...] into a dict; anything else is an error."""
    out: dict[str, str] = {}
    for w in words:
        key, sep, value = w.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise InvalidInput(f"expected key=value, got {w!r}",
                               hint="write each parameter as key=value (quote a value with spaces); "
                                    "`/ops runbook <name>` lists a runbook's parameters")
        if key in out:
            raise InvalidInput(f"parameter `{key}` given twice")
        out[key] = value
    return out


def strictest(decision: Decision, rb: Runbook) -> Decision:
    """Apply the runbook's own approval minimum on top of the policy decision."""
    need = rb.approval
    if need is None or decision.effect == "deny":
        return decision
    if decision.effect == "allow":
        return replace(decision, effect="approval", reason="runbook_requires_approval",
                       approver_roles=tuple(need.approver_roles), approvals=need.approvals)
    return replace(decision, approvals=max(decision.approvals, need.approvals))


class RunbookService:
    """Facade for runbooks; every run goes through the approvals mechanism."""

    def __init__(self, registry: Registry, approvals: Approvals, policy: Policy, channel: str,
                 models: AliasControl | None = None) -> None:
        self.registry = registry
        self.approvals = approvals
        self.policy = policy
        self.channel = channel
        self.models = models

    def list(self) -> list[LoadedRunbook]:
        """Return every loaded runbook, by name."""
        return [self.registry.runbooks[k] for k in sorted(self.registry.runbooks)]

    def show(self, name: str) -> LoadedRunbook:
        """Return one runbook (description, parameters, steps)."""
        return self.registry.get(name)

    def suggest(self, labels: dict[str, str]) -> builtins.list[LoadedRunbook]:  # `list` is a method here
        """Return runbooks whose label matchers all match an alert's labels."""
        return [lr for lr in self.list() if lr.runbook.matches(labels)]

    async def preview(self, actor: Actor, name: str, args: dict[str, Any]) -> Preview:
        """Validate parameters, freeze the plan, and decide; nothing is recorded or run."""
        rb = self.registry.get(name).runbook
        values = bind(rb.parameters, args, name)
        env = environment(rb, values)
        decision = strictest(await self.policy.decide(actor, f"runbook:{name}", env), rb)
        targets = await build_targets(rb, values, self.models)
        plan = Plan(kind=KIND, title=f"runbook {name}", env=env, parameters=values, targets=targets,
                    dry_run=dry_run(targets))
        return Preview(plan, decision)

    async def request(self, actor: Actor, name: str, args: dict[str, Any],
                      channel: str | None = None) -> ApprovalRequest:
        """Freeze the plan and hand it to approvals (which runs it at once if policy allows)."""
        preview = await self.preview(actor, name, args)
        preview.decision.require()
        return await self.approvals.request(actor, preview.plan, preview.decision, channel or self.channel)
