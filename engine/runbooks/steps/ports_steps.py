"""Steps that act through ports: promql_check, alertmanager_silence, mlflow_alias; and wait, notify."""

from __future__ import annotations

import asyncio
import operator
import time
from typing import Any

from engine.runbooks.steps.base import StepDeps, StepResult

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
        "==": operator.eq, "!=": operator.ne}


def holds(values: list[float], cond: dict[str, Any]) -> bool:
    """Return True when the sample values satisfy the condition."""
    if not values:
        return cond.get("empty", "fail") == "pass"
    test = [_OPS[cond["op"]](v, cond["value"]) for v in values]
    return all(test) if cond.get("require", "all") == "all" else any(test)


async def run_promql_check(step: dict[str, Any], deps: StepDeps) -> StepResult:
    """Poll the query until the condition holds; the caller's step timeout ends it otherwise."""
    if deps.metrics is None:
        return StepResult(False, "no Prometheus is configured")
    deadline = time.monotonic() + step["timeout"]
    values: list[float] = []
    while True:
        values = await deps.metrics.instant_values(step["query"])
        if holds(values, step["condition"]):
            return StepResult(True, f"condition met: {values[:5]}")
        if time.monotonic() + step["interval"] >= deadline:
            return StepResult(False, f"condition not met within {step['timeout']:g}s; last values {values[:5]}")
        await asyncio.sleep(step["interval"])


async def run_silence(step: dict[str, Any], deps: StepDeps) -> StepResult:
    """Create the silence and report its id."""
    if deps.silences is None:
        return StepResult(False, "no Alertmanager is configured")
    sid = await deps.silences.create_silence(step["matchers"], step["duration"], step["comment"],
                                             f"opsbot for {deps.requester}")
    return StepResult(True, f"silence {sid} for {step['duration']:g}s")


async def run_mlflow_alias(step: dict[str, Any], deps: StepDeps) -> StepResult:
    """Set an alias (remembering the old version) or roll it back to the version before this run."""
    if deps.registry is None:
        return StepResult(False, "no model registry is configured")
    key = f"{step['model']}@{step['alias']}"
    history: dict[str, str | None] = deps.state.setdefault("alias_before", {})
    current = await deps.registry.get_alias_version(step["model"], step["alias"])
    if step["action"] == "rollback":
        target = history.get(key, deps.frozen_aliases.get(key))
        if target is None:
            return StepResult(False, f"nothing to roll {key} back to")
        await deps.registry.set_alias_version(step["model"], step["alias"], target)
        return StepResult(True, f"{key}: {current} -> {target} (rolled back)")
    history.setdefault(key, current)
    await deps.registry.set_alias_version(step["model"], step["alias"], step["version"])
    return StepResult(True, f"{key}: {current} -> {step['version']}")


async def run_wait(step: dict[str, Any], deps: StepDeps) -> StepResult:
    """Sleep for the configured seconds."""
    await asyncio.sleep(step["seconds"])
    return StepResult(True, f"waited {step['seconds']:g}s")


async def run_notify(step: dict[str, Any], deps: StepDeps) -> StepResult:
    """Return the message; the executor posts it into the run's thread."""
    return StepResult(True, "posted", deps.redactor.redact(step["message"]))
