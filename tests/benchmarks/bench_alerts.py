"""Alert ingest and p99 webhook latency: Opsbot vs Alertmanager's POST /api/v2/alerts.

Run: .venv/bin/python tests/benchmarks/bench_alerts.py [--workload storm,steady] [--seconds 8]
     [--concurrency 8] [--rounds 3] [--workers N] [--warmup 6] [--counter-flush S]

Two workloads, printed side by side: `steady` re-sends 10,000 known alerts (~5% flip per batch);
`storm` is a storm's onset, every alert new (distinct instances, ten 100-alert bodies per
service), measured from an empty store with no warm-up. After each Opsbot run the benchmark
waits until every incident's message is in the outbox and prints that lag (target: 2 s).
Opsbot runs in its own process (aiohttp + the real pipeline, every batch stored durably before
the 200) on SQLite, then on PostgreSQL; Alertmanager is Debian's binary. Same client, same bodies.
A third peer runs too: the issue's floor, a bare aiohttp handler that writes each batch in one
transaction (bare_sqlite_sink.py, bare_pg_sink.py: no validation, dedup or grouping).
CPU per batch is the peer's process tree's; on PostgreSQL the CPU of the backends serving that
peer's own database is added (not other databases of a shared machine, nor the shared WAL writer
and checkpointer).
With --workers N > 1 the server runs as `opsbot serve --workers N` does (bot/workers.py: N
processes on one port, webhooks store and answer, one leased pump processes): the rate counted
is end to end, from the first request until every accepted batch is processed, and CPU is the
whole process tree's. Every peer first takes --warmup seconds of load that is not measured:
Opsbot writes repeat-delivery counters behind (alerts.counter_flush_s, 5 s by default), and a run
shorter than that would never pay for writing them; --counter-flush 0 writes them every
transaction, as before.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
TOKEN = "bench-token"

from bot.demo_alertmanager import alertmanager_argv, find_binary  # noqa: E402 - after the sys.path insert
from alert_workloads import am_body, make_batches, make_storm_batches, webhook_body  # noqa: E402 - after sys.path
from ingest_harness import (backend_cpu_since, drained, drop_pg, free_port, incidents_posted, load, pg_database,
                            postgres_cpu_by_pid, tree_cpu_seconds, wait_up)


def start_alertmanager(tmp: Path) -> tuple[subprocess.Popen, str]:
    """Start Debian's Alertmanager (gossip off) on a free port."""
    port = free_port()
    (tmp / "am.yml").write_text("route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n")
    proc = subprocess.Popen(alertmanager_argv(find_binary() or "prometheus-alertmanager", tmp / "am.yml", tmp, port),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}"


def start_bare_sink(target: str) -> tuple[subprocess.Popen, str]:
    """Start the bare floor peer on a free port: bare_sqlite_sink.py (a path) or bare_pg_sink.py (a URL)."""
    port = free_port()
    script = "bare_pg_sink.py" if target.startswith("postgresql://") else "bare_sqlite_sink.py"
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name(script)), str(port), target])
    return proc, f"http://127.0.0.1:{port}"


def start_opsbot(db_url: str, workers: int = 1, counter_flush_s: float | None = None) -> tuple[subprocess.Popen, str]:
    """Start the Opsbot webhook endpoint in its own process (or a supervisor and its workers)."""
    port = free_port()
    extra = [] if counter_flush_s is None else ["--counter-flush", str(counter_flush_s)]
    proc = subprocess.Popen([sys.executable, __file__, "serve", "--db", db_url, "--port", str(port),
                             "--workers", str(workers), *extra], cwd=ROOT)
    return proc, f"http://127.0.0.1:{port}"


def serve_workers(db_url: str, port: int, workers: int, counter_flush_s: float | None = None) -> int:
    """Create the store once, then run `workers` server processes the way `opsbot serve` does."""
    from sqlmodel import SQLModel

    import engine.alerts.tables  # noqa: F401 - registers its tables with SQLModel.metadata
    import engine.store.tables  # noqa: F401 - registers its tables with SQLModel.metadata
    from bot.workers import supervise
    from engine.store.db import Database

    async def create() -> None:
        db = Database(db_url)
        await db.run_sync(SQLModel.metadata.create_all)
        await db.dispose()

    asyncio.run(create())
    extra = [] if counter_flush_s is None else ["--counter-flush", str(counter_flush_s)]
    return supervise(workers, lambda i: [sys.executable, __file__, "serve", "--db", db_url, "--port",
                                         str(port), "--worker-index", str(i), *extra], os.environ,
                     os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


async def serve(db_url: str, port: int, worker: bool = False, counter_flush_s: float | None = None) -> None:
    """Run the real webhook handler over a fresh store (the benchmark's server process)."""
    from aiohttp import web
    from pydantic import SecretStr
    from sqlmodel import SQLModel

    import engine.alerts.tables  # noqa: F401 - registers its tables with SQLModel.metadata
    import engine.store.tables  # noqa: F401 - registers its tables with SQLModel.metadata
    from bot.metrics import Metrics
    from bot.webhooks.alerts import AlertWebhooks
    from engine.alerts.config import AlertsConfig
    from engine.alerts.service import AlertService
    from engine.core.clock import SystemClock
    from engine.core.outbox import emit_many
    from engine.store.db import Database

    db = Database(db_url)
    if not worker:
        await db.run_sync(SQLModel.metadata.create_all)
    clock = SystemClock()
    cfg = AlertsConfig() if counter_flush_s is None else AlertsConfig(counter_flush_s=counter_flush_s)
    svc = AlertService(db, cfg, clock, emit_many)
    scheduler = None
    if worker:  # what bot/workers.py does in each `opsbot serve --workers N` process
        from types import SimpleNamespace

        from bot.workers import enable_pump
        from engine.core.leases import Leases
        from engine.core.scheduler import Scheduler

        scheduler = Scheduler(Leases(db, clock, f"bench-{os.getpid()}"))
        pump = enable_pump(SimpleNamespace(alerts=svc, scheduler=scheduler))
    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.add_routes(AlertWebhooks(svc, SecretStr(TOKEN), Metrics(os.environ.get("PROMETHEUS_MULTIPROC_DIR")),
                                 4 * 1024 * 1024).routes())
    app.add_routes([web.get("/ready", lambda r: web.Response(text="ok"))])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, reuse_port=worker or None).start()
    if scheduler is not None:
        scheduler.start()
    from bot.runtime import freeze_startup_heap

    freeze_startup_heap()  # as `opsbot serve` does once it listens (serve_forever, bot/workers.py)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    c = svc.ingest.counters
    print(f"# server{' worker' if worker else ''}: {c['batches']} batches processed in "
          f"{c['groups'] if not worker else c['pump_groups']} transactions "
          f"({c['batches'] / max(1, c['groups'] if not worker else c['pump_groups']):.1f} per group); "
          f"{c['queued_batches']} stored for the pump", file=sys.stderr)
    if scheduler is not None:
        pump.stop()
        await runner.cleanup()
        await scheduler.stop()
    else:
        await runner.cleanup()
    await db.dispose()


async def stored_alerts(db_url: str) -> tuple[int, int]:
    """Return (batches stored, alert rows) to prove persistence."""
    from sqlalchemy import text

    from engine.store.db import Database

    db = Database(db_url)
    async with db.engine.connect() as s:
        b = (await s.execute(text("SELECT count(*), coalesce(sum(alert_count), 0) FROM alerts_batch "
                                  "WHERE processed_at IS NOT NULL"))).one()
    await db.dispose()
    return int(b[0]), int(b[1])


async def main_async(args: argparse.Namespace) -> None:
    """Run every workload and print the figures, then a summary beside the targets."""
    summary = []
    for workload in args.workload.split(","):
        summary += await run_workload(args, workload)
    print("\n## summary (medians; targets: storm >= 0.5x, steady >= 0.9x Alertmanager, incidents in the "
          "outbox within 2 s of the last answer)")
    for workload, backend, ratio, bare, lag, cpu in summary:
        target = 0.5 if workload == "storm" else 0.9
        print(f"  {workload:6s} {backend:10s} opsbot/alertmanager {ratio:.2f}x (target {target}x: "
              f"{'MET' if ratio >= target else 'MISSED'})"
              + (f"  bare floor/alertmanager {bare:.2f}x" if bare is not None else "")
              + f"  outbox lag {lag:.2f} s ({'MET' if lag <= 2.0 else 'MISSED'})"
              + f"  CPU per batch alertmanager/opsbot {cpu:.2f}x")


async def run_workload(args: argparse.Namespace, workload: str) -> list[tuple]:
    """Run Alertmanager, the bare floor and Opsbot on one workload; return summary rows."""
    storm = workload == "storm"
    batches = make_storm_batches(args.batches) if storm else make_batches(args.batches)
    warmup = 0.0 if storm else args.warmup  # a storm's onset starts from an empty store
    wh = [webhook_body(a) for a in batches]
    amb = [am_body(a) for a in batches]
    del batches  # only the bodies are sent: keep the client's memory (and its GC work) small
    hdr_bot = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    hdr_am = {"Content-Type": "application/json"}
    out = []
    print(f"\n# workload {workload}: {len(wh)} distinct 100-alert batches, {args.seconds}s per run, "
          f"{args.concurrency} concurrent senders, {os.cpu_count()} CPUs, opsbot workers {args.workers}; "
          f"load {open('/proc/loadavg').read().split(' ', 3)[:3]}")
    with tempfile.TemporaryDirectory() as tmp:
        am, am_url = start_alertmanager(Path(tmp))
        try:
            await wait_up(f"{am_url}/-/ready")
            for backend in args.backends:
                print(f"\n## {backend}")
                ratios, rates, p99s, cpus, bare_ratios, lags, bare_am = [], [], [], [], [], [], []
                for rnd in range(args.rounds):
                    if backend == "sqlite":
                        url, pg_name = f"sqlite:///{tmp}/bench-{rnd}.db", None
                    else:
                        url, pg_name = pg_database()
                    bot, bot_url = start_opsbot(url, args.workers, args.counter_flush)
                    bare = bare_url = bare_pg = None
                    if not args.no_bare:
                        if backend == "sqlite":
                            bare, bare_url = start_bare_sink(f"{tmp}/bare-{rnd}.db")
                        else:
                            bare_target, bare_pg = pg_database()
                            bare, bare_url = start_bare_sink(bare_target)
                    try:
                        await wait_up(f"{bot_url}/ready")
                        runs = {"am": (f"{am_url}/api/v2/alerts", amb, hdr_am),
                                "bot": (f"{bot_url}/webhooks/alertmanager", wh, hdr_bot)}
                        res = {}
                        pids = {"am": am.pid, "bot": bot.pid}
                        order = ["am", "bot"]
                        if bare is not None:
                            await wait_up(f"{bare_url}/ready")
                            runs["bare"] = (f"{bare_url}/webhooks/alertmanager", wh, hdr_bot)
                            pids["bare"] = bare.pid
                            order = ["am", "bare", "bot"]
                        # Alternate who goes first so drift in the machine's load favours neither.
                        for who in (order if rnd % 2 == 0 else order[::-1]):
                            target, bodies, hdr = runs[who]
                            if storm and who == "am":  # one Alertmanager for all rounds: new alerts each round
                                bodies = bodies[rnd * len(bodies) // args.rounds:]
                            skip = 0
                            if warmup > 0:  # not measured: every peer gets the same warm-up
                                w = await load(target, bodies, hdr, warmup, args.concurrency)
                                skip = w["batches"] + w["errors"]
                                if who == "bot":
                                    await drained(url)
                            # The store's CPU: the backends serving this peer's own database only
                            # (other databases on a shared machine, and the shared WAL writer and
                            # checkpointer, are left out).
                            pg_db = {"bot": pg_name, "bare": bare_pg}.get(who)
                            c0, pg0 = tree_cpu_seconds(pids[who]), postgres_cpu_by_pid() if pg_db else {}
                            res[who] = await load(target, bodies[skip:], hdr, args.seconds, args.concurrency)
                            if who == "bot":  # count a batch when it is processed, not when answered
                                lag = await drained(url)
                                r = res[who]
                                r["lag_s"] = lag
                                r["alerts_per_s"] = r["batches"] * 100 / (r["elapsed"] + lag)
                                r["outbox_lag_s"], r["incidents"] = await incidents_posted(url)
                            res[who]["cpu_ms_per_batch"] = (1000 * (tree_cpu_seconds(pids[who]) - c0)
                                                            / max(1, res[who]["batches"]))
                            res[who]["pg_ms_per_batch"] = (1000 * (backend_cpu_since(pg_db, pg0) if pg_db else 0.0)
                                                           / max(1, res[who]["batches"]))
                        stored = await stored_alerts(url)
                    finally:
                        bot.terminate()
                        bot.wait()
                        if bare is not None:
                            bare.terminate()
                            bare.wait()
                        for name in (pg_name, bare_pg):
                            if name:
                                drop_pg(name)
                    r_am, r_bot = res["am"], res["bot"]
                    ratio = r_bot["alerts_per_s"] / r_am["alerts_per_s"]
                    ratios.append(ratio)
                    rates.append((r_am["alerts_per_s"], r_bot["alerts_per_s"]))
                    p99s.append((r_am["p99_ms"], r_bot["p99_ms"]))
                    # The store's own CPU counts on PostgreSQL only: on SQLite it is inside Opsbot's
                    # process already, and postgres processes then belong to other users of the machine.
                    cpus.append((r_am["cpu_ms_per_batch"], r_bot["cpu_ms_per_batch"]
                                 + (r_bot["pg_ms_per_batch"] if pg_name else 0.0)))
                    print(f"round {rnd + 1} (load {open('/proc/loadavg').read().split(' ', 1)[0]})")
                    rows = [("alertmanager POST /api/v2/alerts", r_am)]
                    if "bare" in res:
                        rows.append((f"bare aiohttp + {'SQLite' if backend == 'sqlite' else 'PostgreSQL'} (floor)",
                                     res["bare"]))
                        bare_ratios.append(r_bot["alerts_per_s"] / res["bare"]["alerts_per_s"])
                    for name, r in rows + [("opsbot /webhooks/alertmanager", r_bot)]:
                        print(f"  {name:36s} {r['alerts_per_s']:10.0f} alerts/s  p50 {r['p50_ms']:7.2f} ms  "
                              f"p99 {r['p99_ms']:7.2f} ms  batches {r['batches']}  errors {r['errors']}  "
                              f"cpu {r['cpu_ms_per_batch']:.2f} ms/batch"
                              + (f" (+ postgres {r['pg_ms_per_batch']:.2f})" if pg_name and name[0] in "ob" else "")
                              + (f"  processing lag after the last answer {r['lag_s']:.2f} s, every incident "
                                 f"message in the outbox {r['outbox_lag_s']:.2f} s after it ({r['incidents']} "
                                 f"incidents)" if "lag_s" in r else ""))
                    lags.append(r_bot["lag_s"] + r_bot["outbox_lag_s"])
                    if "bare" in res:
                        bare_am.append(res["bare"]["alerts_per_s"] / r_am["alerts_per_s"])
                    print(f"  ratio opsbot/alertmanager {ratio:.2f}x   "
                          + (f"bare/alertmanager {res['bare']['alerts_per_s'] / r_am['alerts_per_s']:.2f}x   "
                             f"opsbot/bare {bare_ratios[-1]:.2f}x   " if "bare" in res else "")
                          + f"(stored and processed: {stored[0]} batches, {stored[1]} alerts)")
                med = statistics.median
                print(f"median over {args.rounds} rounds: alertmanager {med(a for a, _ in rates):.0f} alerts/s, "
                      f"opsbot {med(b for _, b in rates):.0f} alerts/s, ratio {med(ratios):.2f}x "
                      f"(min {min(ratios):.2f}, max {max(ratios):.2f}); p99 alertmanager "
                      f"{med(a for a, _ in p99s):.1f} ms, opsbot {med(b for _, b in p99s):.1f} ms; CPU per "
                      f"100-alert batch alertmanager {med(a for a, _ in cpus):.2f} ms, opsbot "
                      f"{med(b for _, b in cpus):.2f} ms (incl. postgres), CPU-cost ratio "
                      f"{med(a / b for a, b in cpus):.2f}x"
                      + (f"; opsbot / bare floor {med(bare_ratios):.2f}x" if bare_ratios else ""))
                out.append((workload, backend, med(ratios), med(bare_am) if bare_am else None, max(lags),
                            med(a / b for a, b in cpus)))
        finally:
            am.terminate()
            am.wait()
    return out


def main() -> None:
    """Parse arguments and run the benchmark (or the server half of it)."""
    p = argparse.ArgumentParser()
    p.add_argument("mode", nargs="?", default="bench", choices=["bench", "serve"])
    p.add_argument("--workload", default="storm,steady", help="storm, steady or both (comma-separated)")
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    p.add_argument("--rounds", type=int, default=3, help="fresh store per round; medians are printed")
    p.add_argument("--no-bare", action="store_true", help="skip the bare aiohttp + SQL floor peer")
    p.add_argument("--batches", type=int, default=24000,
                   help="distinct bodies; more than a run sends, so no run falls back to retries")
    p.add_argument("--workers", type=int, default=1, help="Opsbot server processes (opsbot serve --workers)")
    p.add_argument("--db")
    p.add_argument("--port", type=int)
    p.add_argument("--worker-index", type=int, default=None)
    p.add_argument("--warmup", type=float, default=6.0,
                   help="seconds of load before each measured run, so held counters reach steady state")
    p.add_argument("--counter-flush", type=float, default=None,
                   help="alerts.counter_flush_s of the Opsbot server (default: the shipped default)")
    args = p.parse_args()
    if args.mode == "serve" and args.workers > 1:
        sys.exit(serve_workers(args.db, args.port, args.workers, args.counter_flush))
    if args.mode == "serve":
        asyncio.run(serve(args.db, args.port, worker=args.worker_index is not None,
                          counter_flush_s=args.counter_flush))
    else:
        asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
