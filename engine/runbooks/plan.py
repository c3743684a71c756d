"""Resolve a runbook with checked parameter values into the frozen plan, and describe it as a dry run."""

from __future__ import annotations

import json
from typing import Any

from engine.runbooks import template as t
from engine.ports import AliasControl
from engine.runbooks.spec import (CommandStep, HttpStep, MlflowAliasStep, NotifyStep, PromqlCheckStep,
                                  Runbook, SilenceStep, WaitStep)


# Plans before format 2 held secret references as `${secret:NAME}` text, indistinguishable from a
# parameter value of that text; the executor refuses them rather than guess.
PLAN_FORMAT = 2


def _argv_value(v: Any) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def resolve_step(step: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Return one step with parameters substituted in their permitted places (secrets as markers)."""
    base = {"name": step.name, "type": step.type, "timeout": step.timeout}
    # The author's marks travel in the frozen plan (only when set, so unmarked plans hash as before):
    # the auto path re-checks them on the very plan it runs.
    if step.reversible:
        base["reversible"] = True
    if step.read_only:
        base["read_only"] = True

    def arg(text: Any, secrets: bool = False) -> Any:
        return t.expand(text, values, encode=_argv_value, secrets=secrets)

    if isinstance(step, CommandStep):
        env = {k: arg(v, secrets=True) for k, v in step.env.items()}
        return base | {"argv": [step.argv[0]] + [arg(a) for a in step.argv[1:]], "env": env,
                       "env_allowlist": step.env_allowlist, "cwd": step.cwd}
    if isinstance(step, HttpStep):
        headers = {k: arg(v, secrets=True) for k, v in step.headers.items()}
        return base | {"method": step.method, "url": t.expand_url(step.url, values), "headers": headers,
                       "json": t.expand_json(step.json_body, values), "expect_status": step.expect_status}
    if isinstance(step, PromqlCheckStep):
        return base | {"query": t.expand_promql(step.query, values), "condition": step.condition.model_dump(),
                       "interval": step.interval}
    if isinstance(step, SilenceStep):
        return base | {"matchers": {k: arg(v) for k, v in step.matchers.items()},
                       "duration": step.duration, "comment": t.expand(step.comment, values)}
    if isinstance(step, MlflowAliasStep):
        version = t.expand(step.version, values, whole=True)
        return base | {"model": str(t.expand(step.model, values, whole=True)),
                       "alias": str(t.expand(step.alias, values, whole=True)),
                       "action": step.action, "version": None if version is None else str(version)}
    if isinstance(step, WaitStep):
        return base | {"seconds": step.seconds}
    if isinstance(step, NotifyStep):
        return base | {"message": t.expand(step.message, values)}
    raise TypeError(f"unknown step {step!r}")


async def build_targets(rb: Runbook, values: dict[str, Any], registry: AliasControl | None) -> dict[str, Any]:
    """Return the resolved steps plus what they will replace (current alias versions) at request time."""
    targets: dict[str, Any] = {"runbook": rb.name, "timeout": rb.timeout, "format": PLAN_FORMAT}
    for section in ("steps", "on_failure", "verify"):
        targets[section] = [resolve_step(s, values) for s in getattr(rb, section)]
    if rb.rollback:  # only when declared, so plans of runbooks without one hash as before
        targets["rollback"] = [resolve_step(s, values) for s in rb.rollback]
    current: dict[str, str | None] = {}
    for step in targets["steps"]:
        if step["type"] == "mlflow_alias" and registry is not None:
            key = f"{step['model']}@{step['alias']}"
            if key not in current:
                current[key] = await registry.get_alias_version(step["model"], step["alias"])
    targets["aliases"] = current
    return targets


def environment(rb: Runbook, values: dict[str, Any]) -> str:
    """Return the environment the run targets (literal, or taken from a parameter)."""
    return str(t.expand(rb.environment, values, whole=True))


def describe(step: dict[str, Any]) -> str:
    """Return one line saying what a resolved step would do."""
    kind = step["type"]
    if kind == "command":
        return f"run {json.dumps(step['argv'])}" + (f" in {step['cwd']}" if step.get("cwd") else "")
    if kind == "http":
        return f"{step['method']} {step['url']}" + (f" body {json.dumps(step['json'])}" if step.get("json") is not None else "")
    if kind == "promql_check":
        c = step["condition"]
        return f"wait until {step['query']} {c['op']} {c['value']:g} ({c['require']}), up to {step['timeout']:g}s"
    if kind == "alertmanager_silence":
        return f"silence {json.dumps(step['matchers'])} for {step['duration']:g}s"
    if kind == "mlflow_alias":
        if step["action"] == "rollback":
            return f"roll back {step['model']}@{step['alias']} to the version it had before this run"
        return f"set {step['model']}@{step['alias']} -> version {step['version']}"
    if kind == "wait":
        return f"wait {step['seconds']:g}s"
    return f"post: {step['message']}"


def dry_run(targets: dict[str, Any]) -> str:
    """Return the human dry-run text of a plan."""
    lines = []
    for section, label in (("steps", ""), ("verify", "verify: "), ("rollback", "rollback: "),
                           ("on_failure", "on failure: ")):
        for i, step in enumerate(targets.get(section, []), 1):
            lines.append(f"{label}{i}. {step['name']}: {describe(step)}")
    for key, version in targets.get("aliases", {}).items():
        lines.append(f"(now {key} = version {version})")
    return "\n".join(lines)
