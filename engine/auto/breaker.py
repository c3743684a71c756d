"""Pure decisions of the auto path: may this firing run, and does its outcome trip the breaker."""

from __future__ import annotations

from dataclasses import dataclass

# How an automatic run ended (auto_fire.outcome). A verify that failed counts against the breaker.
SUCCEEDED, ROLLED_BACK, FAILED, HALTED, REFUSED = "succeeded", "rolled_back", "failed", "halted", "refused"
VERIFY_FAILURES = frozenset({ROLLED_BACK, FAILED})


@dataclass(frozen=True)
class Gate:
    """Run it, or record it in shadow, with the named reason."""

    run: bool
    reason: str


def gate(*, mode: str, paused: bool, safety: list[str], policy_effect: str, policy_reason: str,
         recent_runs: int, max_runs: int) -> Gate:
    """Return whether a matched trigger runs its runbook now; every refusal names its reason.

    Safety is checked before everything else that could say yes: nothing after it can turn a
    plan with an unmarked step into a run."""
    if mode != "auto":
        return Gate(False, "shadow_mode")
    if safety:
        return Gate(False, "unsafe_plan: " + "; ".join(safety))
    if paused:
        return Gate(False, "kill_switch")
    if policy_effect != "auto":
        return Gate(False, f"policy_not_auto: {policy_reason}")
    if recent_runs >= max_runs:
        return Gate(False, f"rate_limited: {recent_runs} automatic runs in the window (limit {max_runs})")
    return Gate(True, "auto")


def outcome_of(state: str, result: dict[str, object], reason: str) -> str:
    """Return how an automatic run ended, from its approval request's final state and result."""
    if state == "succeeded":
        return SUCCEEDED
    if result.get("halted"):
        return HALTED
    if state == "failed" and result.get("phase") == "verify":
        return ROLLED_BACK if result.get("rollback") == "ok" else FAILED
    if state in ("conflict", "cancelled", "interrupted"):
        return REFUSED if state == "conflict" else HALTED
    return FAILED


def after_outcome(consecutive: int, outcome: str, trip_after: int) -> tuple[int, bool]:
    """Return the new count of consecutive failed verifies and whether the trigger trips now."""
    if outcome == SUCCEEDED:
        return 0, False
    if outcome not in VERIFY_FAILURES:
        return consecutive, False
    consecutive += 1
    return consecutive, consecutive >= trip_after
