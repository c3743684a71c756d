"""Benchmark: concurrent Approve clicks spread over two engine instances on one PostgreSQL database.

Engine level (the clicks call Approvals.approve directly, no HTTP): N approval requests, each
clicked K times concurrently by approvers spread across instance A and B. Reports executions
per approval (must be exactly 1), and click latency median / p99 / max.

    .venv/bin/python tests/benchmarks/bench_approvals.py [--requests 100] [--clicks 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

import engine.store.tables  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.actor import Actor
from engine.approvals import Approvals, Outcome, Plan, RunContext
from engine.approvals.tables import ApprovalRequest  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.audit import AuditLog
from engine.audit.tables import AuditEvent  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.core.clock import SystemClock
from engine.errors import OpsError
from engine.policy import Policy, PolicyConfig
from engine.store.db import Database

ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
POLICY = PolicyConfig.model_validate({
    "roles": {"sre": {"users": [f"U{i}" for i in range(40)]}},
    "rules": [{"action": "bench:*", "roles": ["sre"], "effect": "approval",
               "approval": {"approver_roles": ["sre"], "approvals": 1}}]})


class Counting:
    """Counts executions per request id across both instances (same process)."""

    kind = "bench"

    def __init__(self, counts: Counter) -> None:
        self.counts = counts

    async def precondition(self, parameters, targets):
        return None

    async def execute(self, ctx: RunContext) -> Outcome:
        self.counts[ctx.request_id] += 1
        await ctx.step("work", "ok", "done")
        return Outcome(True, "done")


def pct(values: list[float], q: float) -> float:
    """Return the q-quantile (nearest rank)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * len(s) + 0.5)) - 1))]


async def run(n_requests: int, clicks: int) -> None:
    name = f"opsbot_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    dbs = [Database(url), Database(url)]
    counts: Counter = Counter()
    try:
        await dbs[0].run_sync(SQLModel.metadata.create_all)
        clock = SystemClock()
        services = []
        for i, db in enumerate(dbs):
            svc = Approvals(db, AuditLog(db, clock), Policy(POLICY, None, clock), clock, f"inst-{i}")
            svc.register(Counting(counts))
            services.append(svc)
        requester = Actor("U0", "req")
        decision = await Policy(POLICY).check(requester, "bench:x", "production")
        ids = []
        for i in range(n_requests):
            plan = Plan(kind="bench", title=f"bench {i}", env="production", parameters={"i": i})
            ids.append((await services[i % 2].request(requester, plan, decision, "C")).id)
        latencies: list[float] = []
        outcomes: Counter = Counter()

        async def click(k: int, request_id: int) -> None:
            svc = services[k % 2]
            approver = Actor(f"U{1 + k % 3}", "approver")  # a few people double-clicking
            t0 = time.perf_counter()
            try:
                await svc.approve(request_id, approver)
                outcomes["approved"] += 1
            except OpsError as exc:
                outcomes[type(exc).__name__] += 1
            latencies.append(time.perf_counter() - t0)

        tasks = [click(k, rid) for rid in ids for k in range(clicks)]
        t0 = time.perf_counter()
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - t0
        await asyncio.gather(*(s.wait_idle() for s in services))
        execs = [counts[r] for r in ids]
        states = Counter()
        for r in ids:
            row, _ = await services[0].get(r)
            states[row.state] += 1
        chain = await services[0].audit.verify()
        print(f"engine-level benchmark (no HTTP): {len(tasks)} approve clicks, {n_requests} requests x "
              f"{clicks} clicks, 2 instances, PostgreSQL 127.0.0.1")
        print(f"executions per approval: min {min(execs)} max {max(execs)} "
              f"(exactly-once: {'YES' if set(execs) == {1} else 'NO'})")
        print(f"final states: {dict(states)}; click outcomes: {dict(outcomes)}")
        print(f"click latency: median {statistics.median(latencies) * 1000:.1f} ms, "
              f"p99 {pct(latencies, 0.99) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms; "
              f"wall {wall:.2f} s ({len(tasks) / wall:.0f} clicks/s)")
        print(f"audit chain: {chain.summary()}")
    finally:
        for db in dbs:
            await db.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    """Parse arguments and run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=100)
    p.add_argument("--clicks", type=int, default=10)
    a = p.parse_args()
    asyncio.run(run(a.requests, a.clicks))


if __name__ == "__main__":
    main()
