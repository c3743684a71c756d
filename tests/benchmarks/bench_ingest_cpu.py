"""CPU per 100-alert batch of the ingest path, in process: what bench_alerts' ratios are made of.

Run: .venv/bin/python tests/benchmarks/bench_ingest_cpu.py [--workload storm,steady]
     [--backends sqlite postgresql] [--batches 400] [--rounds 5] [--concurrency 8] [--profile FILE]
     [--sql-profile] [--graph]

Wall-clock ratios need an idle machine; process CPU time (every thread of this process:
the event loop and aiosqlite's writer thread) does not. The garbage collector is set as
`opsbot serve` sets it (bot.runtime.freeze_startup_heap). Each round starts a fresh store and
an AlertService, then `--concurrency` coroutines call `receive("alertmanager", body)` the way
the webhook handler does (parse, group commit, pipeline, outbox), with the bodies
bench_alerts sends. `storm` measures the first `--batches` bodies of a storm's onset from an
empty store; `steady` first sends as many bodies unmeasured (known alerts, warm caches), then
measures as many more. Printed: the median over rounds of CPU ms per batch (all threads; the
event loop thread's share beside it, the rest is mostly aiosqlite's writer thread), and for
PostgreSQL the CPU of the server backends serving this round's database beside it (not
included: it is not our process; the shared WAL writer and checkpointer are left out, so that
other databases' work on a shared machine does not blur it), and the wall time per batch (the
in-process rate: what overlapping the server's work with ours, PostgreSQL's commit chain, moves).
--graph gives the config a service graph (alerts.depends_on: each workload service depends on
the next), as users with topology run. --sql-profile (SQLite) adds the writer thread's CPU per batch by statement, summed over rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from alert_workloads import make_batches, make_storm_batches, webhook_body  # noqa: E402 - after sys.path
from ingest_harness import backend_cpu_since, drop_pg, pg_database, postgres_cpu_by_pid  # noqa: E402 - after sys.path


SQL_CPU: Counter[str] = Counter()  # thread CPU seconds by statement (--sql-profile), this round
SQL_SEEN: Counter[str] = Counter()  # the same, summed over measured rounds of one workload


def profile_sql() -> None:
    """Time every call aiosqlite runs in its writer thread (thread CPU), keyed by its statement's start."""
    import aiosqlite.core as core

    orig = core.Connection._execute

    async def _execute(self: Any, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        key = getattr(fn, "__name__", "call") + (f" {args[0][:60]}" if args and isinstance(args[0], str) else "")

        def timed(*a: Any, **k: Any) -> Any:
            t = time.thread_time()  # runs in the writer thread: its own CPU only
            try:
                return fn(*a, **k)
            finally:
                SQL_CPU[key] += time.thread_time() - t

        return await orig(self, timed, *args, **kw)

    core.Connection._execute = _execute  # type: ignore[method-assign]


async def _send(svc, bodies: list[bytes], concurrency: int) -> None:
    async def worker(k: int) -> None:
        for i in range(k, len(bodies), concurrency):
            await svc.receive("alertmanager", bodies[i])
    await asyncio.gather(*[worker(k) for k in range(concurrency)])


async def one_round(db_url: str, workload: str, bodies: list[bytes], n: int, concurrency: int,
                    prof: cProfile.Profile | None, graph: dict[str, list[str]] | None = None,
                    pg_name: str | None = None) -> tuple[float, float, float, float]:
    """Return ms per batch of one fresh-store round: CPU ours, the event loop's share, postgres', and wall time."""
    from sqlmodel import SQLModel

    import engine.alerts.tables  # noqa: F401 - registers its tables with SQLModel.metadata
    import engine.store.tables  # noqa: F401 - registers its tables with SQLModel.metadata
    from engine.alerts.config import AlertsConfig
    from engine.alerts.service import AlertService
    from engine.core.clock import SystemClock
    from engine.core.outbox import emit_many
    from engine.store.db import Database

    db = Database(db_url)
    await db.run_sync(SQLModel.metadata.create_all)
    svc = AlertService(db, AlertsConfig(depends_on=graph or {}), SystemClock(), emit_many)
    try:
        if workload == "steady":
            await _send(svc, bodies[:n], concurrency)  # unmeasured: the alerts become known
            bodies = bodies[n:]
        todo = bodies[:n]
        pg0 = postgres_cpu_by_pid() if pg_name else {}
        c0, t0, w0 = time.process_time(), time.thread_time(), time.perf_counter()
        SQL_CPU.clear()  # the unmeasured steady warm-up is not counted
        if prof:
            prof.enable()
        await _send(svc, todo, concurrency)
        if prof:
            prof.disable()
        cpu, loop, wall = time.process_time() - c0, time.thread_time() - t0, time.perf_counter() - w0
        pg = backend_cpu_since(pg_name, pg0) if pg_name else 0.0
        SQL_SEEN.update(SQL_CPU)
        await svc.aclose()
    finally:
        await db.dispose()
    return 1000 * cpu / len(todo), 1000 * loop / len(todo), 1000 * pg / len(todo), 1000 * wall / len(todo)


async def main_async(args: argparse.Namespace) -> None:
    """Run every workload on every backend and print medians."""
    import engine.alerts.service  # noqa: F401 - imported before the heap is frozen, as `opsbot serve` has
    from bot.runtime import freeze_startup_heap

    # The server's garbage collector settings (`opsbot serve` sets them once started): without
    # them a storm's batch spent about a fifth more of the event loop in young-generation passes.
    freeze_startup_heap()
    prof = cProfile.Profile() if args.profile else None
    for workload in args.workload.split(","):
        n = args.batches
        if workload == "storm":
            bodies = [webhook_body(a) for a in make_storm_batches(n)]
        else:
            bodies = [webhook_body(a) for a in make_batches(2 * n)]
        names = [f"storm-{i}" for i in range(n // 10 + 1)] if workload == "storm" else [f"svc-{i}" for i in range(100)]
        graph = {a: [b] for a, b in zip(names, names[1:])} if args.graph else None
        for backend in args.backends:
            ours, loops, pgs, walls = [], [], [], []
            for rnd in range(args.rounds):
                with tempfile.TemporaryDirectory() as tmp:
                    name = None
                    if backend == "sqlite":
                        url = f"sqlite:///{tmp}/cpu-{rnd}.db"
                    else:
                        url, name = pg_database()
                    try:
                        a, t, b, w = await one_round(url, workload, bodies, n, args.concurrency, prof, graph, name)
                    finally:
                        if name:
                            drop_pg(name)
                ours.append(a)
                loops.append(t)
                pgs.append(b)
                walls.append(w)
            med = statistics.median
            print(f"{workload:6s} {backend:10s} CPU per 100-alert batch: median {med(ours):.2f} ms "
                  f"(rounds {', '.join(f'{x:.2f}' for x in ours)}), event loop thread {med(loops):.2f} ms"
                  + (f"; postgres server {med(pgs):.2f} ms" if backend == "postgresql" else "")
                  + f"; wall {med(walls):.2f} ms per batch (rounds {', '.join(f'{x:.2f}' for x in walls)}); "
                  f"load {open('/proc/loadavg').read().split(' ', 1)[0]}", flush=True)
            if args.sql_profile and SQL_SEEN:
                for key, sec in SQL_SEEN.most_common(6):
                    print(f"  writer thread {1000 * sec / (n * args.rounds):.3f} ms per batch: {key}")
                SQL_SEEN.clear()
    if prof:
        prof.dump_stats(args.profile)


def main() -> None:
    """Parse arguments and run."""
    p = argparse.ArgumentParser()
    p.add_argument("--workload", default="storm,steady")
    p.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    p.add_argument("--batches", type=int, default=400, help="bodies measured per round")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--profile", help="write a cProfile of the measured sends to this file")
    p.add_argument("--graph", action="store_true", help="a service graph in the config (alerts.depends_on)")
    p.add_argument("--sql-profile", action="store_true", help="SQLite: the writer thread's CPU by statement")
    args = p.parse_args()
    if args.sql_profile:
        profile_sql()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
