"""Shared pieces for governance tests: a policy, a counting executor, and the engine built from
settings and an opsbot.yaml the way `opsbot serve` builds it."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from engine.actor import Actor
from engine.adapters.memory_prometheus import MemoryPrometheus
from engine.adapters.memory_registry import MemoryAliases, MemoryRegistry
from engine.api import Engine
from engine.approvals import Approvals, Outcome, RunContext
from engine.audit import AuditLog
from engine.config import load_config
from engine.core.clock import Clock, SystemClock
from engine.policy import Policy, PolicyConfig
from engine.settings import EngineSettings
from engine.store.db import Database
from engine.wiring import build_engine

ALICE, BOB, CAROL, VIC, LEAD = (Actor("U_A", "alice"), Actor("U_B", "bob"), Actor("U_C", "carol"),
                                Actor("U_V", "vic"), Actor("U_L", "lee"))

# The `policy` section of the opsbot.yaml every governance engine is built from.
POLICY_YAML: dict[str, Any] = {
    "roles": {"sre": {"users": ["U_A", "U_B", "U_C"]}, "lead": {"users": ["U_L"]},
              "viewer": {"users": ["U_V"]}},
    "rules": [
        {"action": "test:*", "env": "production", "roles": ["sre"], "effect": "approval",
         "approval": {"approver_roles": ["sre", "lead"], "approvals": 1}},
        {"action": "test:two", "env": "production", "roles": ["lead"], "effect": "approval",
         "approval": {"approver_roles": ["sre"], "approvals": 2}},
        {"action": "test:*", "env": "staging", "roles": ["sre"], "effect": "allow"},
        {"action": "runbook:*", "env": "*", "roles": ["sre"], "effect": "approval",
         "approval": {"approver_roles": ["sre", "lead"], "approvals": 1}},
        {"action": "runbook:*", "env": "*", "roles": ["lead"], "effect": "allow"},
    ],
}
POLICY = PolicyConfig.model_validate(POLICY_YAML)


def write_config(path: Path, *, runbook_dirs: Sequence[Path | str] = (), lease_s: float = 30.0,
                 secret_names: Sequence[str] = ()) -> Path:
    """Write an opsbot.yaml with the test policy and these runbook settings; return its path."""
    path.write_text(yaml.safe_dump({
        "environment": "production", "policy": POLICY_YAML,
        "runbooks": {"dirs": [str(d) for d in runbook_dirs], "channel": "C_OPS", "lease_seconds": lease_s,
                     "secret_names": list(secret_names)}}))
    return path


def engine_from(url: str, config_path: Path, *, replica: str = "r1", clock: Clock | None = None,
                environ: Mapping[str, str] | None = None) -> Engine:
    """Build the engine as `opsbot serve` does: EngineSettings, opsbot.yaml, engine.wiring.build_engine."""
    settings = EngineSettings(OPSBOT_DATABASE_URL=url, OPSBOT_CONFIG=str(config_path), OPSBOT_REPLICA_ID=replica)
    return build_engine(settings, load_config(settings.config_path), clock=clock,
                        environ=os.environ if environ is None else environ)


class CountingExecutor:
    """Counts executions; can block on a gate, report a conflict, or fail."""

    kind = "test"

    def __init__(self) -> None:
        self.runs: list[int] = []
        self.conflicts: list[str | None] = []
        self.gate: asyncio.Event | None = None
        self.fail = False

    async def precondition(self, parameters: dict[str, Any], targets: dict[str, Any]) -> str | None:
        return self.conflicts.pop(0) if self.conflicts else None

    async def execute(self, ctx: RunContext) -> Outcome:
        self.runs.append(ctx.request_id)
        await ctx.step("first", "running", "started")
        if self.gate is not None:
            await self.gate.wait()
        await ctx.step("first", "ok", "done", detail="all good")
        return Outcome(not self.fail, "failed on purpose" if self.fail else "done", {"n": len(self.runs)})


async def memory_aliases(model: str = "churn", versions: int = 8, **aliases: int) -> MemoryAliases:
    """The AliasControl twin on a MemoryRegistry holding `versions` versions of `model` and these aliases."""
    registry = MemoryRegistry()
    for _ in range(versions):
        registry.create_version(model)
    for alias, version in aliases.items():
        await registry.set_alias(model, alias, version)
    return MemoryAliases(registry)


def memory_prometheus(query: str, *answers: list[float]) -> MemoryPrometheus:
    """The metrics twin answering `query` with each value list in turn (the last repeats)."""
    twin = MemoryPrometheus()
    twin.answer(query, *answers)
    return twin


def make_runbooks(db: Database, dirs: list[Any], *, clock: Clock | None = None, replica: str = "r1",
                  models: Any = None, metrics: Any = None, silences: Any = None,
                  secrets: dict[str, str] | None = None, **kw: Any):
    """Build approvals + runbook service + executor on one database (one 'instance')."""
    import os

    from engine.runbooks import RunbookExecutor, RunbookService, load_dirs

    clock = clock or SystemClock()
    audit = AuditLog(db, clock)
    policy = Policy(POLICY, None, clock)
    approvals = Approvals(db, audit, policy, clock, replica, **kw)
    approvals.register(RunbookExecutor(metrics=metrics, silences=silences, registry=models,
                                       secrets=secrets or {}, base_env={"PATH": os.environ["PATH"]}))
    registry = load_dirs(dirs).require_clean()
    return RunbookService(registry, approvals, policy, "C_OPS", models), approvals, audit


async def step_details(db: Database, request_id: int) -> dict[str, str]:
    """Return {step name: detail} from the thread notices in the outbox."""
    from sqlmodel import select

    from engine.core.outbox_tables import OutboxItem

    async with db.session() as s:
        rows = (await s.exec(select(OutboxItem).where(OutboxItem.template == "approvals/step"))).all()
    return {r.context["step"]["name"]: r.context["detail"] for r in rows if r.context["id"] == request_id}
