"""The peer for bench_ack: a bare Bolt AsyncApp on aiohttp whose /ops only acks."""

from __future__ import annotations

import os
import sys

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

app = AsyncApp(client=AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
               signing_secret=os.environ["SLACK_SIGNING_SECRET"])


@app.command("/ops")
async def ops(ack):
    await ack(text="ok")


async def handle(request: web.Request) -> web.Response:
    return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))


if __name__ == "__main__":
    web_app = web.Application()
    web_app.add_routes([web.post("/slack/events", handle)])
    web.run_app(web_app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
