"""Approval domain types: states, the frozen plan, the executor port and its run context."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Protocol

from pydantic import BaseModel, ConfigDict, Field

REQUESTED, APPROVED, RUNNING = "requested", "approved", "running"
SUCCEEDED, FAILED, CANCELLED, INTERRUPTED = "succeeded", "failed", "cancelled", "interrupted"
REJECTED, EXPIRED, CONFLICT = "rejected", "expired", "conflict"
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELLED, INTERRUPTED, REJECTED, EXPIRED, CONFLICT})
# Which state may follow which; every transition is a compare-and-set on `state`.
TRANSITIONS: dict[str, frozenset[str]] = {
    REQUESTED: frozenset({APPROVED, REJECTED, EXPIRED, CANCELLED, CONFLICT}),
    APPROVED: frozenset({RUNNING, CANCELLED}),
    RUNNING: frozenset({SUCCEEDED, FAILED, CANCELLED, INTERRUPTED, CONFLICT}),
}


class Plan(BaseModel):
    """What will be done, frozen at request time: parameters and resolved targets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200)
    env: str = Field(min_length=1, max_length=60)
    parameters: dict[str, Any] = Field(default_factory=dict)
    targets: dict[str, Any] = Field(default_factory=dict)
    dry_run: str = ""

    def frozen(self) -> dict[str, Any]:
        """Return the part the hash covers (JSON-normalized)."""
        return json.loads(json.dumps({"kind": self.kind, "env": self.env, "parameters": self.parameters,
                                      "targets": self.targets}, default=str))

    def digest(self) -> str:
        """Return the sha256 of the canonical JSON of kind, env, parameters and targets."""
        return plan_hash(self.frozen())


def plan_hash(frozen: dict[str, Any]) -> str:
    """Return the sha256 hex digest of a frozen plan's canonical JSON."""
    body = json.dumps(frozen, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """How an execution ended: ok or not, a one-line summary, and details for the record."""

    ok: bool
    summary: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunContext:
    """What an executor gets: the frozen plan and a way to report step progress."""

    request_id: int
    kind: str
    env: str
    parameters: dict[str, Any]
    targets: dict[str, Any]
    requester: str
    report: Callable[..., Awaitable[None]]

    async def step(self, name: str, status: str, summary: str = "", detail: str | None = None) -> None:
        """Record a step's status in the run; detail (already redacted) goes to the thread."""
        await self.report(name=name, status=status, summary=summary, detail=detail)


class ActionExecutor(Protocol):
    """A feature that executes an approved action kind (runbook, model alias change, ...)."""

    kind: str

    async def precondition(self, parameters: dict[str, Any], targets: dict[str, Any]) -> str | None:
        """Return None when the world still matches the plan, else why it conflicts."""
        ...

    async def execute(self, ctx: RunContext) -> Outcome:
        """Do the action; raise or return Outcome(ok=False) on failure."""
        ...
