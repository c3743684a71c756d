"""Shared pieces for governance tests: a policy, a counting executor, and the engine built from
settings and an opsbot.yaml the way `opsbot serve` builds it."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from engine.actor import Actor
from engine.api import Engine
from engine.approvals import Outcome, RunContext
from engine.config import load_config
from engine.core.clock import Clock
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


def write_config(path: Path, *, runbook_dirs: Sequence[Path | str] = (), lease_s: float = 30.0,
                 secret_names: Sequence[str] = ()) -> Path:
    """Write an opsbot.yaml with the test policy and these runbook settings; return its path."""
    path.write_text(yaml.safe_dump({
        "environment": "production", "policy": POLICY_YAML,
        "runbooks": {"dirs": [str(d) for d in runbook_dirs], "channel": "C_OPS", "lease_seconds": lease_s,
                     "secret_names": list(secret_names)}}))
    return path


def engine_from(url: str, config_path: Path, *, replica: str = "r1", clock: Clock | None = None,
                environ: Mapping[str, str] | None = None, env: Mapping[str, str] | None = None) -> Engine:
    """Build the engine as `opsbot serve` does: EngineSettings (plus `env`, e.g. OPSBOT_PROMETHEUS_URL),
    opsbot.yaml, engine.wiring.build_engine."""
    settings = EngineSettings(**{**(env or {}), "OPSBOT_DATABASE_URL": url, "OPSBOT_CONFIG": str(config_path),
                                 "OPSBOT_REPLICA_ID": replica})
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


async def step_details(db: Database, request_id: int) -> dict[str, str]:
    """Return {step name: detail} from the thread notices in the outbox."""
    from sqlmodel import select

    from engine.core.outbox_tables import OutboxItem

    async with db.session() as s:
        rows = (await s.exec(select(OutboxItem).where(OutboxItem.template == "approvals/step"))).all()
    return {r.context["step"]["name"]: r.context["detail"] for r in rows if r.context["id"] == request_id}


def instant_queries(prom_url: str) -> float:
    """Return how many /api/v1/query requests a Prometheus has served (from its own /metrics)."""
    import urllib.request

    with urllib.request.urlopen(f"{prom_url}/metrics", timeout=5) as resp:
        lines = resp.read().decode().splitlines()
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines
               if line.startswith("prometheus_http_requests_total{") and 'handler="/api/v1/query"' in line)
