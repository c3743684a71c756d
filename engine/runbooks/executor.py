"""Execute a frozen runbook plan: steps, then verify; on failure the on_failure steps."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Mapping

from engine.approvals.types import Outcome, RunContext
from engine.runbooks.plan import PLAN_FORMAT, describe
from engine.ports import AliasControl, DurationSilences, Metrics
from engine.runbooks.redact import Redactor
from engine.runbooks.steps import StepDeps, StepResult, run_step

KIND = "runbook"
# Asked between steps; returns why the run must stop (the auto-remediation kill switch), or None.
HaltCheck = Callable[[RunContext], Awaitable[str | None]]


class Halted(Exception):
    """The halt check stopped the run between two steps."""


_GRACE_S = 5.0  # command steps kill on their own timeout; this only catches a runner that hangs


class RunbookExecutor:
    """The approvals executor for `runbook` actions."""

    kind = KIND

    def __init__(self, *, metrics: Metrics | None = None, silences: DurationSilences | None = None,
                 registry: AliasControl | None = None, secrets: Mapping[str, str] | None = None,
                 base_env: Mapping[str, str] | None = None, output_limit: int = 3000,
                 halt: HaltCheck | None = None) -> None:
        self.halt = halt
        self.metrics, self.silences, self.registry = metrics, silences, registry
        self.secrets = dict(secrets or {})
        self.base_env = dict(base_env or {})
        self.output_limit = output_limit

    async def precondition(self, parameters: dict[str, Any], targets: dict[str, Any]) -> str | None:
        """Return why the plan is stale (an alias it replaces has moved, an old format), or None."""
        if targets.get("format") != PLAN_FORMAT:
            return "it was frozen by an older opsbot whose plans cannot be read safely; request it again"
        for key, frozen in targets.get("aliases", {}).items():
            if self.registry is None:
                return "no model registry is configured to re-check aliases"
            model, _, alias = key.partition("@")
            now = await self.registry.get_alias_version(model, alias)
            if now != frozen:
                return f"{key} moved from version {frozen} to {now} since the request"
        return None

    async def execute(self, ctx: RunContext) -> Outcome:
        """Run the plan; a failed verify runs `rollback`, any failure runs on_failure and fails the run."""
        targets = ctx.targets
        deps = StepDeps(metrics=self.metrics, silences=self.silences, registry=self.registry,
                        secrets=self.secrets, base_env=self.base_env, output_limit=self.output_limit,
                        redactor=Redactor(self.secrets.values()), requester=ctx.requester,
                        frozen_aliases=dict(targets.get("aliases", {})))
        failed: str | None = None
        phase = "steps"
        try:
            async with asyncio.timeout(float(targets.get("timeout", 900))):
                failed = await self._section(ctx, targets.get("steps", []), deps)
                if failed is None:
                    phase = "verify"
                    failed = await self._section(ctx, targets.get("verify", []), deps, "verify ")
        except TimeoutError:
            failed = f"run timed out after {float(targets.get('timeout', 900)):g}s"
        except Halted as exc:
            return Outcome(False, str(exc), {"phase": phase, "halted": True})
        if failed is None:
            n = len(targets.get("steps", [])) + len(targets.get("verify", []))
            return Outcome(True, f"all {n} steps succeeded", {"phase": "done"})
        data: dict[str, Any] = {"phase": phase}
        if phase == "verify" and targets.get("rollback"):
            # A failed verify means the change did not help: undo it (the halt switch does not stop an undo).
            undo = await self._section(ctx, targets["rollback"], deps, "rollback ", halt=False)
            data["rollback"] = "failed" if undo else "ok"
            failed += "; rollback " + ("also failed: " + undo if undo else "ran")
        if targets.get("on_failure"):
            cleanup = await self._section(ctx, targets["on_failure"], deps, "on_failure ", halt=False)
            failed += "; on_failure " + ("also failed: " + cleanup if cleanup else "steps ran")
        return Outcome(False, failed, data)

    async def _section(self, ctx: RunContext, steps: list[dict[str, Any]], deps: StepDeps,
                       label: str = "", halt: bool = True) -> str | None:
        for i, step in enumerate(steps):
            if halt and self.halt is not None and (why := await self.halt(ctx)):
                # Checked between steps: the step in flight finishes, the next one never starts.
                done = f" after {steps[i - 1]['name']}" if i else " before its first step"
                await ctx.step(step["name"], "skipped", f"{label}not started: {why}")
                raise Halted(f"stopped{done}: {why}")
            await ctx.step(step["name"], "running", label + describe(step))
            grace = _GRACE_S if step["type"] == "command" else 0.0
            try:
                async with asyncio.timeout(float(step["timeout"]) + grace):
                    result = await run_step(step, deps)
            except TimeoutError:
                result = StepResult(False, f"timed out after {float(step['timeout']):g}s")
            except Exception as exc:  # noqa: BLE001 - a port error fails the step, with its reason
                result = StepResult(False, deps.clean(f"{type(exc).__name__}: {exc}"))
            status = "ok" if result.ok else "failed"
            await ctx.step(step["name"], status, label + result.summary, detail=result.output or None)
            if not result.ok:
                return f"{label}step {step['name']} failed: {result.summary}"
        return None
