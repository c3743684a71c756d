"""Measuring helpers for bench_alerts: the load client, CPU accounting, scratch databases."""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import time
import uuid
from pathlib import Path

import aiohttp


def free_port() -> int:
    """Return a free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def load(url: str, bodies: list[bytes], headers: dict[str, str], seconds: float,
               concurrency: int) -> dict:
    """POST bodies round-robin for `seconds` from `concurrency` workers; return rate and latencies."""
    lat: list[float] = []
    sent = 0
    errors = 0
    stop = time.perf_counter() + seconds
    async with aiohttp.ClientSession() as http:
        async def worker(k: int) -> None:
            nonlocal sent, errors
            i = k
            while time.perf_counter() < stop:
                body = bodies[i % len(bodies)]
                i += concurrency
                t0 = time.perf_counter()
                async with http.post(url, data=body, headers=headers) as r:
                    await r.read()
                    if r.status >= 300:
                        errors += 1
                        continue
                lat.append(time.perf_counter() - t0)
                sent += 1
        started = time.perf_counter()
        await asyncio.gather(*[worker(k) for k in range(concurrency)])
        elapsed = time.perf_counter() - started
    lat.sort()
    return {"alerts_per_s": sent * 100 / elapsed, "batches": sent, "errors": errors, "elapsed": elapsed,
            "p50_ms": 1000 * statistics.median(lat) if lat else None,
            "p99_ms": 1000 * lat[int(0.99 * (len(lat) - 1))] if lat else None}


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system) a process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """Return the CPU time used so far by a process and every live descendant (the workers)."""
    parents: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parents[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grew = {pid}, True
    while grew:
        more = {c for c, p in parents.items() if p in tree and c not in tree}
        tree |= more
        grew = bool(more)
    return sum(cpu_seconds(p) for p in tree)


def pending_batches(db_url: str) -> int:
    """Return how many stored batches still wait for the pump (read without taking any lock)."""
    if db_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(db_url.split("///", 1)[1], timeout=10)
        try:
            return conn.execute("SELECT count(*) FROM alerts_batch WHERE processed_at IS NULL").fetchone()[0]
        finally:
            conn.close()
    import psycopg2

    conn = psycopg2.connect(db_url)
    try:
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM alerts_batch WHERE processed_at IS NULL")
        return cur.fetchone()[0]
    finally:
        conn.close()


_UNPOSTED = ("SELECT count(*) FROM alerts_incident i WHERE NOT EXISTS (SELECT 1 FROM outbox_item o "
             "WHERE o.key = 'incident:' || i.id)")


def _count(db_url: str, sql: str) -> int:
    if db_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(db_url.split("///", 1)[1], timeout=10)
        try:
            return conn.execute(sql).fetchone()[0]
        finally:
            conn.close()
    import psycopg2

    conn = psycopg2.connect(db_url)
    try:
        cur = conn.cursor()
        cur.execute(sql)
        return cur.fetchone()[0]
    finally:
        conn.close()


async def incidents_posted(db_url: str, timeout: float = 120.0) -> tuple[float, int]:
    """Wait until every incident has its message in the outbox; return (seconds, incidents)."""
    t0 = time.perf_counter()
    while _count(db_url, _UNPOSTED) and time.perf_counter() - t0 < timeout:
        await asyncio.sleep(0.02)
    return time.perf_counter() - t0, _count(db_url, "SELECT count(*) FROM alerts_incident")


async def drained(db_url: str, timeout: float = 120.0) -> float:
    """Wait until every stored batch is processed; return the seconds it took."""
    t0 = time.perf_counter()
    while pending_batches(db_url) and time.perf_counter() - t0 < timeout:
        await asyncio.sleep(0.02)
    return time.perf_counter() - t0


def postgres_cpu_by_pid() -> dict[int, float]:
    """Return the CPU time used so far by each local postgres process."""
    out: dict[int, float] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() == "postgres":
                    out[int(d.name)] = cpu_seconds(int(d.name))
            except OSError:
                continue
    return out


def backend_cpu_since(dbname: str, before: dict[int, float]) -> float:
    """Return the CPU the backends now connected to dbname used since `before` (postgres_cpu_by_pid).

    Only that database's sessions: on a shared machine other databases' work (and the shared
    WAL writer and checkpointer, which this leaves out) would blur the figure.
    """
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    try:
        cur = conn.cursor()
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (dbname,))
        pids = [r[0] for r in cur.fetchall()]
    finally:
        conn.close()
    return sum(cpu_seconds(p) - before.get(p, 0.0) for p in pids)


def postgres_cpu_seconds() -> float:
    """Return the CPU time used so far by every local postgres process (the store's own cost)."""
    total = 0.0
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() == "postgres":
                    total += cpu_seconds(int(d.name))
            except OSError:
                continue
    return total


async def wait_up(url: str) -> None:
    """Wait until a server answers on url."""
    deadline = time.time() + 30
    async with aiohttp.ClientSession() as http:
        while time.time() < deadline:
            try:
                async with http.get(url) as r:
                    await r.read()
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def pg_database() -> tuple[str, str]:
    """Create a scratch PostgreSQL database; return (url, name)."""
    import psycopg2

    name = f"opsbot_bench_{uuid.uuid4().hex[:8]}"
    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    conn.autocommit = True
    conn.cursor().execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return f"postgresql://postgres@127.0.0.1:5432/{name}", name


def drop_pg(name: str) -> None:
    """Drop the scratch database."""
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    conn.autocommit = True
    conn.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()
