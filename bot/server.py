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
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.app import CommandListener, handle_listener_error
from bot.door.slack import BadPayload, read_slack_body
from bot.deps import Deps
from bot.logs import new_request_id
from engine.core.replays import WINDOW_S as REPLAY_WINDOW_S

log = logging.getLogger("opsbot.server")

MAX_SLACK_BODY = 1024 * 1024
RouteFactory = Callable[[Deps], Iterable[web.RouteDef]]


def _timestamp(value: str) -> int | None:
    """Return a request timestamp in whole seconds, or None unless it is 1-12 ASCII digits."""
    # str.isdigit() accepts '²' and '¹²³', which int() then refuses: only ASCII digits here.
    return int(value) if 0 < len(value) <= 12 and value.isascii() and value.isdigit() else None


class SlackEndpoint:
    """POST /slack/events: verify, refuse malformed bodies with 4xx, then dispatch.

    Slash commands listed in `commands` run here directly, without Bolt's dispatch: for a
    command Bolt would run its middleware chain (whose only effect for us, with verification
    done above, is authorizing the bot token), match it against every listener, inject
    arguments and poll every 10 ms for the ack from another task; that was about half of the
    CPU an `/ops` request cost. The direct path calls the very listener Bolt would, with
    Bolt's own AsyncAck and AsyncRespond, the same error handler and the same HTTP answer.
    It is used only once the bot token has passed auth.test (what Bolt's single-workspace
    authorization checks; until then commands go through Bolt), and only because
    bot.app.build_bolt_app adds no middleware of its own; everything else (interactions,
    events, Socket Mode) goes through Bolt. Only Bolt's public API is used here; the parity
    tests in tests/workspace/test_ws_direct_commands.py pin the Bolt version they verified.
    """

    def __init__(self, app: AsyncApp, deps: Deps, commands: dict[str, CommandListener] | None = None) -> None:
        self.app = app
        self.deps = deps
        # No secret, no door: every request is refused (serve refuses to start in HTTP mode).
        self.secret = deps.settings.slack_signing_secret.get_secret_value().encode() or None
        self.replays = deps.engine.replays
        self.commands = dict(commands or {})
        self._bolt_ready = False  # set once Bolt's middleware would only pass commands through

    def _valid_signature(self, raw: bytes, headers: dict[str, str]) -> int | None:
        """Check Slack's v0 HMAC and the 5-minute window; return the timestamp when both hold."""
        stamp = headers.get("x-slack-request-timestamp", "")
        ts, signature = _timestamp(stamp), headers.get("x-slack-signature", "")
        if ts is None or self.secret is None or abs(time.time() - ts) > REPLAY_WINDOW_S:
            return None
        expected = "v0=" + hmac.new(self.secret, b"v0:" + stamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
        return ts if hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")) else None

    async def _repeat_answer(self, ts: int, signature: str) -> web.Response | None:
        """Claim this signed request in the shared store; answer a repeat with 200 and no effect."""
        if self.replays is None:
            return None
        try:
            first = await self.replays.first_time("slack", ts, signature)
        except Exception as exc:  # cannot tell a replay from a first delivery: refuse, Slack retries
            log.warning("replay store unavailable: %s", type(exc).__name__)
            return self._refuse(503, "unavailable", "the replay store is unavailable; try again")
        if first:
            return None
        self.deps.metrics.rejected_requests.labels("replay").inc()
        return web.Response(status=200)  # what Slack expects for "done"; nothing runs twice

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
        if self.secret is None:
            return self._refuse(503, "not_configured", "SLACK_SIGNING_SECRET is not set on this server, "
                                "so it refuses every Slack request over HTTP")
        headers = {k.lower(): v for k, v in request.headers.items()}
        # Bolt would check this too; doing it first keeps bad requests away from any parsing.
        ts = self._valid_signature(raw, headers)
        if ts is None:
            return self._refuse(401, "invalid_signature", "bad or stale Slack signature")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return self._refuse(400, "malformed_body", "the request body is not UTF-8")
        try:
            # One schema per payload type (bot/door/slack.py): what passes cannot make Bolt
            # or a listener trip over its shape.
            content_type = (headers.get("content-type") or "").split(";")[0] or None
            kind, parsed = read_slack_body(body, content_type)
        except BadPayload as exc:
            return self._refuse(400, "malformed_body", str(exc))
        repeat = await self._repeat_answer(ts, headers["x-slack-signature"])
        if repeat is not None:
            return repeat
        command = parsed.get("command") if kind == "command" else None
        listener = self.commands.get(command) if isinstance(command, str) else None
        if listener is not None and "ssl_check" not in parsed and await self._direct_ready():
            bolt_resp = await self._run_command(listener, parsed)
        else:
            try:  # Bolt parses the body again: only interactions, events and the first commands
                bolt_req = AsyncBoltRequest(body=body, query=request.query_string, headers=headers)
            except ValueError as exc:
                return self._refuse(400, "malformed_body", f"could not parse the request body: {exc}")
            bolt_resp = await self.app.async_dispatch(bolt_req)
        self.deps.metrics.observe_request(kind, time.perf_counter() - started)
        return await to_aiohttp_response(bolt_resp)

    def dispatches_directly(self) -> bool:
        """Tell whether slash commands now skip Bolt's dispatch (false until the token passed auth.test)."""
        return bool(self.commands) and self._bolt_ready

    async def _direct_ready(self) -> bool:
        """Tell whether the bot token is authorized, asking auth.test once it has not been yet."""
        if not self._bolt_ready:
            # Bolt's single-workspace authorization runs auth.test once and then passes every
            # request; a failure here sends the command through Bolt, which answers the error.
            try:
                self._bolt_ready = bool((await self.app.client.auth_test()).get("ok"))
            except Exception as exc:  # any failure: let Bolt try (and report) authorization
                log.warning("auth.test failed; slash commands go through Bolt", extra={"error": str(exc)})
        return self._bolt_ready

    async def _run_command(self, listener: CommandListener, body: dict[str, Any]) -> BoltResponse:
        """Run a slash-command listener as Bolt's listener runner would, and return its ack."""
        client = self.app.client
        ack = AsyncAck()
        respond = AsyncRespond(response_url=body.get("response_url"), proxy=client.proxy, ssl=client.ssl)
        try:
            await listener(ack, body, respond, client)
        except Exception as exc:  # Bolt: the app's error handler, then 500 unless already acked
            await handle_listener_error(self.deps, exc, respond)
            if ack.response is None:
                return BoltResponse(status=500, body="")
        if ack.response is None:  # as Bolt answers for a listener that never acks
            log.warning("the %s listener returned without acking", body.get("command"))
            return BoltResponse(status=200, body="")
        return ack.response


SLACK_ENDPOINT = web.AppKey("slack_endpoint", SlackEndpoint)


def build_web_app(bolt_app: AsyncApp, deps: Deps, extra_routes: Iterable[RouteFactory] = (),
                  commands: dict[str, CommandListener] | None = None) -> web.Application:
    """Create the aiohttp application with every route mounted; `commands` are run directly."""
    web_app = web.Application(client_max_size=max(MAX_SLACK_BODY, deps.settings.max_webhook_bytes) + 1024)
    slack = web_app[SLACK_ENDPOINT] = SlackEndpoint(bolt_app, deps, commands)

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
            deps.metrics.alert_dead_letter.set(await deps.engine.alerts.queries.dead_letter_count())
        except Exception:  # the exposition must still answer when the store is down
            log.warning("could not read the outbox depth or the alert dead letter")
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
