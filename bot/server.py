"""The aiohttp server: Slack requests, webhooks, health, readiness and metrics."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any, Callable, Iterable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.deps import Deps
from bot.logs import new_request_id

log = logging.getLogger("opsbot.server")

MAX_SLACK_BODY = 1024 * 1024
REPLAY_WINDOW_S = 300  # Slack's own limit for request timestamps
RouteFactory = Callable[[Deps], Iterable[web.RouteDef]]


def _request_kind(parsed: Any) -> str:
    """Name what a parsed Slack body is, raising ValueError when it is none of Slack's shapes."""
    if not isinstance(parsed, dict):
        raise ValueError("the body must be a form or a JSON object")
    if "command" in parsed:
        return "command"
    if parsed.get("type"):
        return str(parsed["type"])  # interactions (payload=) and Events API bodies
    if "ssl_check" in parsed:
        return "ssl_check"
    raise ValueError("neither a slash command nor an interaction payload with a type")


class SlackEndpoint:
    """POST /slack/events: verify, refuse malformed bodies with 4xx, then hand to Bolt."""

    def __init__(self, app: AsyncApp, deps: Deps) -> None:
        self.app = app
        self.deps = deps
        self.secret = (deps.settings.slack_signing_secret.get_secret_value() or "unset").encode()

    def _valid_signature(self, raw: bytes, headers: dict[str, str]) -> bool:
        """Check Slack's v0 HMAC over the raw bytes and the 5-minute replay window."""
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > REPLAY_WINDOW_S:
            return False
        expected = "v0=" + hmac.new(self.secret, b"v0:" + timestamp.encode() + b":" + raw,
                                    hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature)

    def _refuse(self, status: int, reason: str, message: str) -> web.Response:
        self.deps.metrics.rejected_requests.labels(reason).inc()
        return web.json_response({"ok": False, "error": reason, "message": message}, status=status)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one Slack request."""
        started = time.perf_counter()
        new_request_id()
        if request.content_length and request.content_length > MAX_SLACK_BODY:
            return self._refuse(413, "body_too_large", f"body over {MAX_SLACK_BODY} bytes")
        raw = await request.read()
        if len(raw) > MAX_SLACK_BODY:
            return self._refuse(413, "body_too_large", f"body over {MAX_SLACK_BODY} bytes")
        headers = {k.lower(): v for k, v in request.headers.items()}
        # Bolt checks this too; doing it first keeps bad requests away from any parsing.
        if not self._valid_signature(raw, headers):
            return self._refuse(401, "invalid_signature", "bad or stale Slack signature")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return self._refuse(400, "malformed_body", "the request body is not UTF-8")
        try:
            # Bolt parses the body once here (form fields, or the `payload` JSON); anything it
            # cannot read, or that is neither a command nor an interaction, is the sender's fault.
            bolt_req = AsyncBoltRequest(body=body, query=request.query_string, headers=headers)
            kind = _request_kind(bolt_req.body)
        except ValueError as exc:
            return self._refuse(400, "malformed_body", f"could not parse the request body: {exc}")
        bolt_resp = await self.app.async_dispatch(bolt_req)
        elapsed = time.perf_counter() - started
        self.deps.metrics.requests.labels(kind).inc()
        self.deps.metrics.ack_latency.labels(kind).observe(elapsed)
        return await to_aiohttp_response(bolt_resp)


def build_web_app(bolt_app: AsyncApp, deps: Deps, extra_routes: Iterable[RouteFactory] = ()) -> web.Application:
    """Create the aiohttp application with every route mounted."""
    web_app = web.Application(client_max_size=max(MAX_SLACK_BODY, deps.settings.max_webhook_bytes) + 1024)
    slack = SlackEndpoint(bolt_app, deps)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(_: web.Request) -> web.Response:
        try:
            await deps.engine.db.ping(timeout=2.0)
        except Exception as exc:  # not ready: say why, with 503 so load balancers skip us
            return web.json_response({"ok": False, "database": str(exc)}, status=503)
        return web.json_response({"ok": True, "database": "ok", "replica": deps.engine.replica_id})

    async def metrics(_: web.Request) -> web.Response:
        try:
            deps.metrics.outbox_depth.set(await deps.engine.outbox.depth())
        except Exception:  # the exposition must still answer when the store is down
            log.warning("could not read outbox depth")
        return web.Response(body=deps.metrics.exposition(), content_type="text/plain", charset="utf-8",
                            headers={"X-Content-Type-Options": "nosniff"})

    web_app.add_routes([
        web.post("/slack/events", slack.handle),
        web.get("/healthz", healthz),
        web.get("/readyz", readyz),
        web.get("/metrics", metrics),
    ])
    for factory in extra_routes:
        web_app.add_routes(list(factory(deps)))
    return web_app
