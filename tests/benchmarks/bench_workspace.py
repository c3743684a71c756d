"""Benchmark the local workspace beside bare peers measured in the same run.

(a) chat.postMessage through slack_sdk's AsyncWebClient: the workspace (token check, block
    validation, storage) vs a bare aiohttp handler answering Slack's sample JSON.
(b) `/ops help` round trip to a tiny Bolt app: via the workspace (`send_slash_command`:
    sign, POST, show the answer) vs a signed POST sent straight to the same Bolt app.
(c) validate_blocks on a 50-block message.

Run: .venv/bin/python tests/benchmarks/bench_workspace.py [--calls N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "workspace")]

from bot.workspace import WorkspaceConfig, start_workspace
from bot.workspace.blocks import validate_blocks
from bot.workspace.signing import signed_headers
from tinybot import HELP_BLOCKS, SECRET, TOKEN, build_app, serve

SAMPLE = json.loads(Path("/work/shared/data/slack/web_api_responses.json").read_text())


def pct(values: list[float], q: float) -> float:
    """Return the q-quantile (0..1) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def closed_loop(call, total: int, concurrency: int) -> tuple[list[float], float]:
    """Run `total` calls with `concurrency` in flight; return latencies (ms) and calls/s."""
    latencies: list[float] = []
    remaining = iter(range(total))

    async def worker() -> None:
        for i in remaining:
            t0 = time.perf_counter()
            await call(i)
            latencies.append((time.perf_counter() - t0) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, total / (time.perf_counter() - start)


def line(name: str, lat: list[float], rate: float) -> str:
    return (f"  {name:<28} median {statistics.median(lat):7.2f} ms   p99 {pct(lat, 0.99):7.2f} ms"
            f"   {rate:8.0f} calls/s")


async def bare_peer() -> tuple[web.AppRunner, str]:
    """A bare aiohttp handler answering the sample chat.postMessage JSON."""
    body = json.dumps(SAMPLE["chat.postMessage"])

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/api/{method}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/api/"


async def bench_post(calls: int, concurrency: int) -> None:
    ws = await start_workspace(WorkspaceConfig(signing_secret=SECRET, bot_token=TOKEN,
                                               rate_per_second=0))
    peer, peer_url = await bare_peer()
    blocks = HELP_BLOCKS
    try:
        print(f"(a) chat.postMessage, {calls} calls, {concurrency} in flight, 3 blocks each")
        results = {}
        for name, url in (("workspace", ws.api_url), ("bare aiohttp peer", peer_url)):
            client = AsyncWebClient(token=TOKEN, base_url=url)
            await client.chat_postMessage(channel="C0OPS", text="warm", blocks=blocks)

            async def call(i: int, client=client) -> None:
                await client.chat_postMessage(channel="C0OPS", text=f"m{i}", blocks=blocks)

            results[name] = await closed_loop(call, calls, concurrency)
            print(line(name, *results[name]))
        ratio = results["workspace"][1] / results["bare aiohttp peer"][1]
        print(f"  throughput ratio workspace / bare peer: {ratio:.2f}")
    finally:
        await peer.cleanup()
        await ws.stop()


async def bench_slash(calls: int, concurrency: int) -> None:
    ws = await start_workspace(WorkspaceConfig(signing_secret=SECRET, bot_token=TOKEN))
    app, _ = build_app(ws.api_url, TOKEN, SECRET)
    runner, bot_url = await serve(app)
    ws.set_request_url(bot_url)
    form = {"token": "t", "team_id": "T0LOCAL", "team_domain": "d", "channel_id": "C0OPS",
            "channel_name": "ops", "user_id": "U0ALICE", "user_name": "alice",
            "command": "/ops", "text": "help", "api_app_id": "A0OPSBOT",
            "is_enterprise_install": "false", "response_url": f"{ws.url}/response/x",
            "trigger_id": "1.2.3"}
    raw = urlencode(form).encode()
    try:
        async with aiohttp.ClientSession() as session:
            async def direct(i: int) -> None:
                headers = {"Content-Type": "application/x-www-form-urlencoded",
                           **signed_headers(SECRET, raw)}
                async with session.post(bot_url, data=raw, headers=headers) as resp:
                    await resp.read()

            async def via_workspace(i: int) -> None:
                answer = await ws.send_slash_command("alice", "ops", "help")
                assert answer.error is None, answer.error

            await via_workspace(0)
            print(f"(b) /ops help round trip to a tiny Bolt app, {calls} calls, "
                  f"{concurrency} in flight")
            a = await closed_loop(via_workspace, calls, concurrency)
            print(line("via workspace", *a))
            b = await closed_loop(direct, calls, concurrency)
            print(line("direct signed POST (peer)", *b))
            print(f"  throughput ratio workspace / direct: {a[1] / b[1]:.2f}")
    finally:
        await runner.cleanup()
        await ws.stop()


def bench_validate(rounds: int = 2000) -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "*x* `y`"},
               "accessory": {"type": "button", "action_id": "a", "value": "v",
                             "text": {"type": "plain_text", "text": "Go"}}}
    blocks = [dict(section, block_id=f"b{i}") for i in range(50)]
    times = []
    for _ in range(rounds // 10):
        t0 = time.perf_counter()
        assert validate_blocks(blocks) == []
        times.append((time.perf_counter() - t0) * 1e6)
    print(f"(c) validate_blocks, 50 sections with buttons: median {statistics.median(times):.0f} us"
          f"   p99 {pct(times, 0.99):.0f} us  ({len(times)} runs)")


async def main_async(calls: int, concurrency: int) -> None:
    await bench_post(calls, concurrency)
    await bench_slash(calls // 2, concurrency)
    bench_validate()


def main() -> None:
    """Parse arguments and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main_async(args.calls, args.concurrency))


if __name__ == "__main__":
    main()
