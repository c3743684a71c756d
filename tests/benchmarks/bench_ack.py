"""Ack latency of `/ops help` over HTTP with signed requests, beside a bare Bolt app.

(a) open loop at 100 requests/s for 30 s: p50 and p99 (target p99 < 100 ms);
(b) closed loop with 200 requests in flight: requests/s, ours / bare Bolt (target >= 0.8), and
    each server's CPU time per request (steadier than requests/s on a shared machine).
Run: flock /tmp/opsbot-bench.lock .venv/bin/python tests/benchmarks/bench_ack.py [--seconds 30] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.workspace import WorkspaceConfig, signed_headers, start_workspace

SECRET, TOKEN = "bench-secret", "xoxb-bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


COMMAND_TEXT = "help"


def body_for(i: int) -> bytes:
    return urlencode({"command": "/ops", "text": COMMAND_TEXT, "user_id": "U0ALICE", "user_name": "alice",
                      "channel_id": "C0OPS", "team_id": "T0LOCAL", "trigger_id": f"t{i}",
                      "response_url": "http://127.0.0.1:9/unused", "api_app_id": "A0OPSBOT"}).encode()


async def one(http: aiohttp.ClientSession, url: str, i: int) -> float:
    body = body_for(i)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(SECRET, body)}
    start = time.perf_counter()
    async with http.post(url, data=body, headers=headers) as resp:
        await resp.read()
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status}")
    return time.perf_counter() - start


async def wait_up(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            try:
                await one(http, url, 0)
                return
            except Exception:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} never came up")


async def open_loop(url: str, rate: float, seconds: float) -> list[float]:
    lat: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        tasks = []
        start = time.perf_counter()
        for i in range(int(rate * seconds)):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(http, url, i)))
        lat = await asyncio.gather(*tasks)
    return list(lat)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def closed_loop(url: str, in_flight: int, seconds: float, pid: int | None = None) -> tuple[float, float]:
    """Return (requests/s, server CPU microseconds per request) over `seconds` at saturation.

    CPU per request is the steadier figure on a shared machine: it barely moves when other
    processes take cores away, while requests/s does."""
    done = 0
    stop_at = time.perf_counter() + seconds

    async def worker(http: aiohttp.ClientSession, w: int) -> None:
        nonlocal done
        i = 0
        while time.perf_counter() < stop_at:
            await one(http, url, w * 100000 + i)
            done += 1
            i += 1

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        start, cpu = time.perf_counter(), cpu_seconds(pid) if pid else 0.0
        await asyncio.gather(*(worker(http, w) for w in range(in_flight)))
        rate = done / (time.perf_counter() - start)
        cpu_us = (cpu_seconds(pid) - cpu) / max(1, done) * 1e6 if pid else float("nan")
        return rate, cpu_us


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--closed-seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--text", default="help", help="the /ops text to send (default: help)")
    args = parser.parse_args()
    global COMMAND_TEXT
    COMMAND_TEXT = args.text
    ws = await start_workspace(WorkspaceConfig(signing_secret=SECRET, bot_token=TOKEN))
    tmp = tempfile.mkdtemp()
    env = {**os.environ, "SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": ws.api_url,
           "OPSBOT_DATABASE_URL": f"sqlite:///{tmp}/bench.db", "OPSBOT_LOG_LEVEL": "WARNING"}
    env.pop("SLACK_APP_TOKEN", None)
    ours_port, bare_port = free_port(), free_port()
    py = sys.executable
    procs = [subprocess.Popen([py, "-m", "bot.main", "serve", "--host", "127.0.0.1", "--port", str(ours_port)],
                              env=env, cwd=ROOT),
             subprocess.Popen([py, str(Path(__file__).with_name("bare_bolt_app.py")), str(bare_port)], env=env)]
    targets = {"opsbot": f"http://127.0.0.1:{ours_port}/slack/events",
               "bare-bolt": f"http://127.0.0.1:{bare_port}/slack/events"}
    try:
        for url in targets.values():
            await wait_up(url)
        print(f"(a) open loop, 100 req/s for {args.seconds:.0f} s")
        for name, url in targets.items():
            lat = await open_loop(url, 100.0, args.seconds)
            print(f"    {name:<10} n={len(lat)} p50={pct(lat, .5):.1f} ms p99={pct(lat, .99):.1f} ms "
                  f"max={max(lat) * 1000:.1f} ms")
        print(f"(b) closed loop, 200 in flight, {args.closed_seconds:.0f} s x {args.rounds} rounds, alternating")
        rates: dict[str, list[float]] = {k: [] for k in targets}
        cpu: dict[str, list[float]] = {k: [] for k in targets}
        for _ in range(args.rounds):
            for (name, url), proc in zip(targets.items(), procs):
                rate, cpu_us = await closed_loop(url, 200, args.closed_seconds, proc.pid)
                rates[name].append(rate)
                cpu[name].append(cpu_us)
        for name, r in rates.items():
            print(f"    {name:<10} median {statistics.median(r):.0f} req/s (rounds: {', '.join(f'{x:.0f}' for x in r)}); "
                  f"server CPU median {statistics.median(cpu[name]):.0f} us/req "
                  f"(rounds: {', '.join(f'{x:.0f}' for x in cpu[name])})")
        ratio = statistics.median(rates["opsbot"]) / statistics.median(rates["bare-bolt"])
        per_round = [o / b for o, b in zip(rates["opsbot"], rates["bare-bolt"])]
        print(f"    ratio opsbot / bare-bolt = {ratio:.2f} (target >= 0.8); per round "
              f"{', '.join(f'{x:.2f}' for x in per_round)}")
        cpu_ratio = statistics.median(cpu["bare-bolt"]) / statistics.median(cpu["opsbot"])
        print(f"    CPU-per-request ratio bare-bolt / opsbot = {cpu_ratio:.2f}")
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        await ws.stop()


if __name__ == "__main__":
    asyncio.run(main())
