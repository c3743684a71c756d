"""Step runners: one async function per step type, dispatched by `run_step`."""

from __future__ import annotations

from typing import Any

from engine.runbooks.steps.base import StepDeps, StepResult
from engine.runbooks.steps.command import run_command
from engine.runbooks.steps.http import run_http
from engine.runbooks.steps.ports_steps import run_mlflow_alias, run_notify, run_promql_check, run_silence, run_wait

RUNNERS = {"command": run_command, "http": run_http, "promql_check": run_promql_check,
           "alertmanager_silence": run_silence, "mlflow_alias": run_mlflow_alias,
           "wait": run_wait, "notify": run_notify}


async def run_step(step: dict[str, Any], deps: StepDeps) -> StepResult:
    """Run one resolved step (the caller applies the step timeout)."""
    return await RUNNERS[step["type"]](step, deps)


__all__ = ["RUNNERS", "StepDeps", "StepResult", "run_step"]
