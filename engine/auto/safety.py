"""Which runbooks may run with nobody watching: every step read-only or reversible, and a verify.

The same rules are applied to the runbook file (`opsbot check`, start-up) and to the frozen
plan right before an automatic run, so neither a policy rule nor a trigger nor an alert's
labels can make a step the author did not mark run by itself."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

# Step types that only observe or post (they never change a system).
READ_ONLY_TYPES = frozenset({"promql_check", "wait", "notify"})
CHANGING_SECTIONS = ("steps", "rollback", "on_failure")


def _get(step: Any, key: str) -> Any:
    return step.get(key) if isinstance(step, Mapping) else getattr(step, key, None)


def is_read_only(step: Any) -> bool:
    """Return True for a step that only observes: its type does, or its author marked it `read_only`."""
    return _get(step, "type") in READ_ONLY_TYPES or _get(step, "read_only") is True


def is_safe(step: Any) -> bool:
    """Return True for a step that is read-only or marked `reversible`."""
    return is_read_only(step) or _get(step, "reversible") is True


def problems(sections: Mapping[str, Iterable[Any]]) -> list[str]:
    """Return why the runbook (or frozen plan) cannot run automatically; [] when it may."""
    out: list[str] = []
    verify = list(sections.get("verify") or [])
    if not verify:
        out.append("it has no verify step")
    for step in verify:
        if not is_read_only(step):
            out.append(f"verify step {_get(step, 'name')!r} ({_get(step, 'type')}) is not read-only")
    for section in CHANGING_SECTIONS:
        for step in sections.get(section) or []:
            if not is_safe(step):
                out.append(f"{section} step {_get(step, 'name')!r} ({_get(step, 'type')}) is not marked "
                           "reversible or read_only")
    changing = [s for s in sections.get("steps") or [] if not is_read_only(s)]
    if changing and not list(sections.get("rollback") or []):
        out.append(f"step {_get(changing[0], 'name')!r} changes something but the runbook has no "
                   "`rollback:` steps")
    return out


def runbook_problems(runbook: Any) -> list[str]:
    """Return why a loaded runbook cannot run automatically."""
    return problems({s: getattr(runbook, s, []) for s in ("steps", "verify", "rollback", "on_failure")})


def plan_problems(targets: Mapping[str, Any]) -> list[str]:
    """Return why a frozen plan's resolved steps cannot run automatically."""
    if not isinstance(targets, Mapping):
        return ["the plan is not a mapping"]
    return problems({s: targets.get(s) or [] for s in ("steps", "verify", "rollback", "on_failure")})
