"""Benchmark: 1,000 concurrent Approve clicks over HTTP, spread across two bot replicas on one
PostgreSQL database. Each click is a signed block_actions POST to /slack/events of replica A or B.

Reports executions per approval (must be exactly 1, counted from the audit log's run.started
events and from the command step's own marker file) and click-to-ack latency (HTTP round trip).

    .venv/bin/python tests/benchmarks/bench_approvals_http.py [--requests 100] [--clicks 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import aiohttp
from aiohttp import web
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

import engine.approvals.tables  # noqa: F401 - registers its tables with SQLModel.metadata
import engine.audit.tables  # noqa: F401 - registers its tables with SQLModel.metadata
from bot.runtime import build_runtime
from bot.stack import start_local_stack
from bot.workspace import signed_headers
from engine.actor import Actor
from engine.approvals.view import APPROVE, button_value
from engine.config import OpsbotConfig
from engine.policy import PolicyConfig
from engine.runbooks.config import RunbooksConfig
from engine.settings import EngineSettings

ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
APPROVERS = [f"U0APPR{i}" for i in range(5)]
POLICY = PolicyConfig.model_validate({
    "roles": {"sre": {"users": ["U0REQ", *APPROVERS]}},
    "rules": [{"action": "runbook:*", "roles": ["sre"], "effect": "approval",
               "approval": {"approver_roles": ["sre"], "approvals": 1}}]})


def pct(values: list[float], q: float) -> float:
    """Return the q-quantile (nearest rank)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * len(s) + 0.5)) - 1))]


async def bare_peer(secret: str, token: str, api_url: str) -> tuple[list[web.AppRunner], list[str]]:
    """The peer: two bare Bolt AsyncApps on aiohttp whose Approve listener only acks."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp

    runners, urls = [], []
    for _ in range(2):
        from slack_sdk.web.async_client import AsyncWebClient

        app = AsyncApp(client=AsyncWebClient(token=token, base_url=api_url), signing_secret=secret)

        @app.action(APPROVE)
        async def approve(ack):
            await ack()

        async def handle(request: web.Request, app=app) -> web.Response:
            return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

        web_app = web.Application()
        web_app.add_routes([web.post("/slack/events", handle)])
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        urls.append(f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}")
    return runners, urls


def runbook_dir(tmp: Path, marker: Path) -> Path:
    d = tmp / "runbooks"
    d.mkdir()
    script = "import sys; open(sys.argv[1], 'a').write(sys.argv[2] + '\\n')"
    (d / "bench.yaml").write_text(f"""
name: bench
description: appends its id to a marker file
environment: production
parameters:
  n: {{type: integer}}
steps:
  - name: mark
    type: command
    argv: [{json.dumps(sys.executable)}, -c, {json.dumps(script)}, {json.dumps(str(marker))}, "${{n}}"]
""")
    return d


async def sink() -> tuple[web.AppRunner, str]:
    """A response_url endpoint that accepts the bot's ephemeral refusals."""
    app = web.Application()
    app.router.add_post("/r", lambda r: web.json_response({"ok": True}))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/r"


async def add_tables(rt) -> None:
    await rt.engine.db.run_sync(SQLModel.metadata.create_all)


async def run(n_requests: int, clicks: int) -> None:
    name = f"opsbot_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    tmp = Path(tempfile.mkdtemp(prefix="opsbot-bench-"))
    marker = tmp / "ran.txt"
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{name}")
    # Both instances get the policy and runbooks from their config, as `opsbot serve` does.
    config = OpsbotConfig(policy=POLICY, runbooks=RunbooksConfig(dirs=[str(runbook_dir(tmp, marker))]))
    stack = await start_local_stack(settings, config, background=False)
    sink_runner, response_url = await sink()
    try:
        a = stack.bot
        await add_tables(a)
        b = build_runtime(stack.bot_settings.model_copy(), settings, config, environ=os.environ)
        await add_tables(b)
        await b.start("127.0.0.1", 0, background=False)
        stack.runtimes.append(b)
        secret = stack.bot_settings.slack_signing_secret.get_secret_value()
        reqs = [await a.engine.runbooks.request(Actor("U0REQ", "req"), "bench", {"n": i}) for i in range(n_requests)]

        latencies: list[float] = []
        statuses: Counter = Counter()

        async def click(http: aiohttp.ClientSession, k: int, req, urls: list[str], sink: list[float]) -> None:
            user = APPROVERS[k % len(APPROVERS)]
            payload = {"type": "block_actions", "user": {"id": user, "username": user, "name": user},
                       "api_app_id": "A0OPSBOT", "team": {"id": "T0LOCAL"}, "trigger_id": f"t.{k}",
                       "channel": {"id": "C0OPS", "name": "ops"}, "response_url": response_url,
                       "container": {"type": "message", "message_ts": "1.0", "channel_id": "C0OPS"},
                       "actions": [{"type": "button", "action_id": APPROVE, "block_id": f"approval:{req.id}",
                                    "value": button_value(req), "action_ts": str(time.time())}]}
            body = urlencode({"payload": json.dumps(payload)}).encode()
            url = urls[k % 2] + "/slack/events"
            headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(secret, body)}
            t0 = time.perf_counter()
            async with http.post(url, data=body, headers=headers) as resp:
                await resp.read()
                statuses[resp.status] += 1
            sink.append(time.perf_counter() - t0)

        peer_runners, peer_urls = await bare_peer(secret, stack.bot_settings.slack_bot_token.get_secret_value(),
                                                stack.workspace.api_url)
        peer_lat: list[float] = []
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            await asyncio.gather(*(click(http, k, r, peer_urls, peer_lat) for r in reqs for k in range(clicks)))
        for runner in peer_runners:
            await runner.cleanup()
        statuses.clear()  # count only the clicks on opsbot below

        conn = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=conn) as http:
            t0 = time.perf_counter()
            await asyncio.gather(*(click(http, k, r, [a.url, b.url], latencies) for r in reqs for k in range(clicks)))
            wall = time.perf_counter() - t0
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            states = Counter([(await a.engine.approvals.get(r.id))[0].state for r in reqs])
            if states.get("succeeded", 0) + states.get("failed", 0) + states.get("conflict", 0) == n_requests:
                break
            await asyncio.sleep(0.5)
        settle = time.perf_counter() - t0
        events = await a.engine.audit.recent(500, None)
        starts: Counter = Counter()
        async for e in a.engine.audit.iter_events():
            if e.action == "run.started":
                starts[e.subject] += 1
        marks = Counter(marker.read_text().split()) if marker.exists() else Counter()
        per_req = [starts[f"approval:{r.id}"] for r in reqs]
        per_mark = [marks[str(i)] for i in range(n_requests)]
        chain = await a.engine.audit.verify()
        print(f"HTTP benchmark: {n_requests * clicks} Approve clicks ({n_requests} requests x {clicks}, "
              f"{len(APPROVERS)} approvers) over HTTP to 2 bot replicas, PostgreSQL 127.0.0.1; events={len(events)}")
        print(f"HTTP statuses: {dict(statuses)}; final states: {dict(states)}")
        print(f"executions per approval (audit run.started): min {min(per_req)} max {max(per_req)}; "
              f"(marker file): min {min(per_mark)} max {max(per_mark)}; exactly-once: "
              f"{'YES' if set(per_req) == {1} and set(per_mark) == {1} else 'NO'}")
        print(f"click-to-ack latency: median {statistics.median(latencies) * 1000:.1f} ms, "
              f"p99 {pct(latencies, 0.99) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms; "
              f"all acks in {wall:.2f} s; all runs finished after {settle:.2f} s")
        print(f"peer (two bare Bolt AsyncApps that only ack, same clicks, same process): median "
              f"{statistics.median(peer_lat) * 1000:.1f} ms, p99 {pct(peer_lat, 0.99) * 1000:.1f} ms; "
              f"ratio opsbot/peer: median {statistics.median(latencies) / statistics.median(peer_lat):.2f}x, "
              f"p99 {pct(latencies, 0.99) / pct(peer_lat, 0.99):.2f}x")
        print(f"audit chain: {chain.summary()}")
    finally:
        await stack.stop()
        await sink_runner.cleanup()
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
