"""Benchmark: throughput of the alert path and the click path with 1, 2 and 3 `opsbot serve`
processes on one PostgreSQL database, and where the time goes (replica vs postgres CPU,
pg_stat_activity wait events sampled during the run).

Alert path: Alertmanager v4 webhooks of 100 alerts each (distinct bodies, 20 services), posted
round-robin across the replicas with `--concurrency` in flight. Click path: signed
`/ops run append-line` slash commands (each records an approval request, a notice and an audit
event) round-robin across the replicas.

    .venv/bin/python tests/benchmarks/bench_replicas.py [--batches 60] [--clicks 200] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration" / "replicas"))

import aiohttp
import psycopg2
from sqlalchemy.engine import make_url

from bot.workspace import signed_headers
from replica_cluster import Cluster
from tests.servers import create_pg_database, drop_pg_database

CLK_TCK = os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    """Return the q-quantile (nearest rank)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * len(s) + 0.5)) - 1))]


def cpu_seconds(pid: int) -> float:
    """Return user+system CPU seconds of a process and its reaped children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in fields[11:15]) / CLK_TCK


def postgres_pids() -> list[int]:
    """Return the pids of every postgres process on the machine (server and backends)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() == "postgres":
                    out.append(int(d.name))
            except OSError:
                pass
    return out


def postgres_cpu() -> float:
    """Return CPU seconds used so far by postgres processes (ended backends are lost, so the
    benchmark keeps its connections pooled and counts only the delta of live ones)."""
    return sum(cpu_seconds(p) for p in postgres_pids())


class WaitSampler(threading.Thread):
    """Sample pg_stat_activity of one database every 50 ms: what active backends wait on."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        u = make_url(url)
        self.conn = psycopg2.connect(host=u.host, port=u.port or 5432, user=u.username, dbname=u.database)
        self.conn.autocommit = True
        self.dbname = u.database
        self.samples: Counter = Counter()
        self.ticks = 0
        self.stop_flag = threading.Event()

    def run(self) -> None:
        """Sample until stopped."""
        with self.conn.cursor() as cur:
            while not self.stop_flag.wait(0.05):
                cur.execute("SELECT coalesce(wait_event_type, 'CPU'), coalesce(wait_event, 'running') "
                            "FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
                            "AND pid <> pg_backend_pid()", (self.dbname,))
                self.ticks += 1
                for kind, event in cur.fetchall():
                    self.samples[f"{kind}:{event}"] += 1

    def finish(self) -> tuple[float, list[tuple[str, float]]]:
        """Stop; return (mean active backends, top wait events as mean backends)."""
        self.stop_flag.set()
        self.join()
        self.conn.close()
        n = max(1, self.ticks)
        return sum(self.samples.values()) / n, [(k, v / n) for k, v in self.samples.most_common(4)]


def alert_body(i: int, size: int) -> bytes:
    """Return a distinct Alertmanager body of `size` alerts (20 services, 5 alerts each per 100)."""
    import json

    service = f"svc{i % 20}"
    alerts = [{"status": "firing", "labels": {"alertname": f"A{i}-{k}", "service": service, "severity": "warning",
                                              "instance": f"host-{k % 7}"},
               "annotations": {"summary": "bench"}, "startsAt": "2026-11-27T12:00:00Z",
               "endsAt": "0001-01-01T00:00:00Z", "generatorURL": ""} for k in range(size)]
    return json.dumps({"receiver": "opsbot", "status": "firing", "alerts": alerts,
                       "groupLabels": {"service": service}, "commonLabels": {}, "commonAnnotations": {},
                       "externalURL": "http://am:9093", "version": "4",
                       "groupKey": f'{{}}:{{service="{service}"}}#{i}', "truncatedAlerts": 0}).encode()


def slash_form(c: Cluster, i: int) -> bytes:
    """Return a signed-ready slash command body: alice runs the runbook with a unique tag."""
    return urlencode({"token": "x", "team_id": "T0LOCAL", "team_domain": "opsbot-local", "channel_id": "C0OPS",
                      "channel_name": "ops", "user_id": "U0ALICE", "user_name": "alice", "command": "/ops",
                      "text": f"run append-line tag=b{i}", "api_app_id": "A0OPSBOT", "is_enterprise_install": "false",
                      "response_url": f"{c.ws.url}/response/none", "trigger_id": f"t.{i}"}).encode()


async def drive(c: Cluster, n: int, concurrency: int, send) -> tuple[float, list[float], int]:
    """Run n sends with `concurrency` in flight; return (seconds, latencies, failures)."""
    latencies: list[float] = []
    failures = 0
    queue = list(range(n))

    async def worker() -> None:
        nonlocal failures
        while queue:
            i = queue.pop()
            t0 = time.perf_counter()
            ok = await send(i, c.alive[i % len(c.alive)])
            latencies.append(time.perf_counter() - t0)
            failures += 0 if ok else 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - t0, latencies, failures


async def measure(c: Cluster, label: str, n: int, concurrency: int, send) -> dict:
    """Measure one path, with CPU of replicas and postgres and the database's waits."""
    sampler = WaitSampler(c.db_url)
    sampler.start()
    rep0 = {r.name: cpu_seconds(r.proc.pid) for r in c.alive}
    pg0, wall0 = postgres_cpu(), time.perf_counter()
    seconds, lat, failures = await drive(c, n, concurrency, send)
    wall = time.perf_counter() - wall0
    pg = (postgres_cpu() - pg0) / wall
    reps = {r.name: (cpu_seconds(r.proc.pid) - rep0[r.name]) / wall for r in c.alive}
    active, waits = sampler.finish()
    return {"label": label, "n": n, "rate": n / seconds, "p50": statistics.median(lat) * 1000,
            "p99": pct(lat, 0.99) * 1000, "failures": failures, "pg_cpu": pg, "replica_cpu": reps,
            "active": active, "waits": waits}


async def run_one(replicas: int, args: argparse.Namespace) -> list[dict]:
    """Start `replicas` processes on a fresh database and measure both paths."""
    url = create_pg_database()
    tmp = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
    c = Cluster(tmp, url, log_level="ERROR")
    try:
        await c.start_workspace()
        migrate = c.migrate_process()
        await asyncio.to_thread(migrate.wait, 60)
        for i in range(replicas):
            c.spawn(f"r{i + 1}")
        await c.wait_ready(timeout=120)
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
        headers = {"Authorization": f"Bearer {c.webhook_token}", "Content-Type": "application/json"}
        bodies = [alert_body(i, args.batch_size) for i in range(args.batches + 10)]
        secret = c.ws.workspace.config.signing_secret

        async def send_alerts(i: int, r) -> bool:
            async with session.post(f"{r.url}/webhooks/alertmanager", data=bodies[i], headers=headers) as resp:
                await resp.read()
                return resp.status == 200

        async def send_click(i: int, r) -> bool:
            body = slash_form(c, i)
            h = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(secret, body)}
            async with session.post(f"{r.url}/slack/events", data=body, headers=h) as resp:
                text = await resp.text()
                return resp.status == 200 and "Approval requested" in text

        try:
            await drive(c, 10, 4, lambda i, r: send_alerts(args.batches + i, r))  # warm-up
            await drive(c, 10, 4, lambda i, r: send_click(args.clicks + i, r))
            alerts = await measure(c, "alerts", args.batches, args.concurrency, send_alerts)
            alerts["rate"] *= args.batch_size  # alerts/s, not batches/s
            clicks = await measure(c, "clicks", args.clicks, args.concurrency, send_click)
        finally:
            await session.close()
        return [alerts | {"replicas": replicas}, clicks | {"replicas": replicas}]
    finally:
        await c.stop()
        drop_pg_database(url)


def main() -> None:
    """Run the benchmark for 1, 2 and 3 replicas and print a table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batches", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--clicks", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--replicas", default="1,2,3")
    args = p.parse_args()
    rows: list[dict] = []
    for n in [int(x) for x in args.replicas.split(",")]:
        rows += asyncio.run(run_one(n, args))
    print(f"\nmachine: {os.cpu_count()} cores; concurrency {args.concurrency}; alert batches of {args.batch_size}")
    print(f"{'path':7} {'replicas':>8} {'rate/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'fail':>5} "
          f"{'pg cpu':>7} {'bot cpu':>8} {'pg active':>9}  top waits (mean backends)")
    base = {r["label"]: r["rate"] for r in rows if r["replicas"] == 1}
    for r in sorted(rows, key=lambda r: (r["label"], r["replicas"])):
        waits = ", ".join(f"{k} {v:.2f}" for k, v in r["waits"])
        unit = "alerts" if r["label"] == "alerts" else "clicks"
        print(f"{r['label']:7} {r['replicas']:>8} {r['rate']:>9.1f} {r['p50']:>8.1f} {r['p99']:>8.1f} "
              f"{r['failures']:>5} {r['pg_cpu']:>7.2f} {sum(r['replica_cpu'].values()):>8.2f} "
              f"{r['active']:>9.2f}  {waits}   ({unit}/s x{r['rate'] / base[r['label']]:.2f} vs 1 replica)")
    print("cpu columns: cores busy (CPU seconds per wall second); pg active: backends active in the "
          "benchmark database on average; CPU:running = active without a wait event.")


if __name__ == "__main__":
    main()
