"""The config check for auto-remediation: `auto` policy rules and `mode: auto` triggers name safe runbooks."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any, Mapping

from engine.auto.safety import runbook_problems
from engine.policy.config import PolicyConfig


def check(policy: PolicyConfig, runbooks: Mapping[str, Any]) -> list[str]:
    """Return one line per refusal: an `auto` rule or trigger that names a runbook unfit to run by itself."""
    out: list[str] = []
    for i, rule in enumerate(policy.rules):
        if rule.effect != "auto":
            continue
        if not rule.action.startswith("runbook:"):
            out.append(f"policy.rules[{i}]: effect `auto` is only for runbook actions (runbook:<name>), "
                       f"not {rule.action!r}")
            continue
        for name in sorted(runbooks):
            why = runbook_problems(_rb(runbooks[name]))
            if fnmatchcase(f"runbook:{name}", rule.action) and why:
                out.append(f"policy.rules[{i}]: effect `auto` for runbook {name!r} is refused: {'; '.join(why)}")
    for name in sorted(runbooks):
        rb = _rb(runbooks[name])
        why = runbook_problems(rb)
        for trig in rb.triggers:
            if trig.mode == "auto" and why:
                out.append(f"runbook {name!r} trigger {trig.name!r}: `mode: auto` is refused: {'; '.join(why)}")
    return out


def _rb(entry: Any) -> Any:
    return getattr(entry, "runbook", entry)  # a LoadedRunbook or a Runbook
