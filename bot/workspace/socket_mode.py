"""Slack's Socket Mode: `apps.connections.open` tickets, the websocket, envelopes and acks."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from .errors import ApiError
from .state import Workspace

log = logging.getLogger(__name__)

# Interactive payloads whose ack may carry a body Slack acts on (response_action, options).
ANSWERABLE = {"view_submission", "block_suggestion"}
DISCONNECT_REASONS = {"warning", "refresh_requested", "link_disabled", "too_many_websockets"}


@dataclass
class Connection:
    """One open websocket from an app, with what it was sent and what it acked."""

    id: str
    socket: web.WebSocketResponse
    draining: bool = False
    delivered: int = 0
    acked: int = 0
    envelopes: list[str] = field(default_factory=list)


@dataclass
class Delivery:
    """The outcome of one envelope: the ack's payload, or Slack's failure code."""

    payload: dict[str, Any] | None
    error: str | None = None
    connection_id: str | None = None
    attempts: int = 1


class SocketModeHub:
    """Issues websocket URLs, holds open connections and spreads envelopes across them."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.connections: list[Connection] = []
        self._tickets: set[str] = set()
        self._pending: dict[str, tuple[str, asyncio.Future]] = {}
        self._turn = itertools.count()
        self._ids = itertools.count(1)

    # -- connecting ------------------------------------------------------------------------
    def check_app_token(self, token: str | None) -> None:
        """Refuse anything but the configured app-level token, with Slack's codes."""
        cfg = self.ws.config
        if not token:
            raise ApiError("not_authed")
        if token == cfg.bot_token or token.startswith(("xoxb-", "xoxp-")):
            raise ApiError("not_allowed_token_type")
        if token != cfg.app_token:
            raise ApiError("invalid_auth")

    def open_url(self) -> dict[str, Any]:
        """Answer `apps.connections.open`: a single-use websocket URL."""
        if not self.ws.base_url:
            raise RuntimeError("workspace base URL unknown; start it with start_workspace()")
        ticket = secrets.token_urlsafe(18)
        self._tickets.add(ticket)
        base = self.ws.base_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        return {"ok": True, "url": f"{base}/socket-mode/{ticket}"}

    @property
    def active(self) -> list[Connection]:
        """Return the connections that take new envelopes (open and not told to leave)."""
        return [c for c in self.connections if not c.draining and not c.socket.closed]

    def _hello(self) -> dict[str, Any]:
        return {"type": "hello", "num_connections": len(self.active),
                "debug_info": {"host": "applink-local", "build_number": 1,
                               "approximate_connection_time": int(
                                   self.ws.config.socket_connection_ttl)},
                "connection_info": {"app_id": self.ws.config.app_id}}

    async def handle_socket(self, request: web.Request) -> web.StreamResponse:
        """GET /socket-mode/<ticket>: upgrade, say hello, then read acks until closed."""
        ticket = request.match_info["ticket"]
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid_ticket")
        self._tickets.discard(ticket)  # Slack's URLs work once
        sock = web.WebSocketResponse(autoping=True,
                                     heartbeat=self.ws.config.socket_ping_interval)
        await sock.prepare(request)
        conn = Connection(f"conn-{next(self._ids)}", sock)
        if len(self.active) >= self.ws.config.max_socket_connections:
            # Slack's per-app limit: the newcomer is told why and dropped.
            await self._send(conn, self._disconnect_message("too_many_websockets"))
            await sock.close(code=WSCloseCode.POLICY_VIOLATION)
            return sock
        self.connections.append(conn)
        self.ws.touch()
        try:
            await self._send(conn, self._hello())
            async for msg in sock:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(conn, msg.data)
        finally:
            self.connections.remove(conn)
            self.ws.touch()
        return sock

    def _on_text(self, conn: Connection, raw: str) -> None:
        try:
            msg = json.loads(raw)
        except ValueError:
            log.warning("socket mode: %s sent non-JSON text", conn.id)
            return
        envelope_id = msg.get("envelope_id") if isinstance(msg, dict) else None
        pending = self._pending.get(envelope_id or "")
        # An ack counts only from the connection the envelope went to, and only once.
        if pending is None or pending[0] != conn.id or pending[1].done():
            log.warning("socket mode: unexpected ack %s from %s", envelope_id, conn.id)
            return
        payload = msg.get("payload")
        conn.acked += 1
        pending[1].set_result(payload if isinstance(payload, dict) else None)

    # -- delivering ------------------------------------------------------------------------
    def _pick(self) -> Connection | None:
        active = self.active
        return active[next(self._turn) % len(active)] if active else None

    @staticmethod
    async def _send(conn: Connection, message: dict[str, Any]) -> None:
        await conn.socket.send_str(json.dumps(message))

    async def send_envelope(self, kind: str, payload: dict[str, Any], accepts_response: bool,
                            retry_attempt: int = 0, retry_reason: str = "") -> Delivery:
        """Send one envelope to one connection and wait up to `request_timeout` for its ack."""
        conn = self._pick()
        if conn is None:
            return Delivery(None, "dispatch_failed")
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                                    "accepts_response_payload": accepts_response}
        if kind == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[envelope_id] = (conn.id, future)
        conn.delivered += 1
        conn.envelopes.append(envelope_id)
        try:
            await self._send(conn, envelope)
            answer = await asyncio.wait_for(future, self.ws.config.request_timeout)
        except asyncio.TimeoutError:
            return Delivery(None, "operation_timeout", conn.id)
        except ConnectionError as exc:
            log.warning("socket mode: %s is gone: %s", conn.id, exc)
            return Delivery(None, "dispatch_failed", conn.id)
        finally:
            self._pending.pop(envelope_id, None)
        return Delivery(answer, None, conn.id)

    async def deliver_form(self, form: dict[str, str]) -> Delivery:
        """Send what would be an HTTP form (slash command or `payload=`) as an envelope."""
        if "payload" in form and "command" not in form:
            payload = json.loads(form["payload"])
            return await self.send_envelope("interactive", payload,
                                            payload.get("type") in ANSWERABLE)
        return await self.send_envelope("slash_commands", dict(form), True)

    async def deliver_event(self, payload: dict[str, Any]) -> Delivery:
        """Send an events_api envelope, retrying after timeouts as Slack does."""
        delays = (0.0, *self.ws.config.event_retry_delays)
        result = Delivery(None, "dispatch_failed")
        for attempt, delay in enumerate(delays):
            if delay:
                await asyncio.sleep(delay)
            result = await self.send_envelope("events_api", payload, False, attempt,
                                              "timeout" if attempt else "")
            result.attempts = attempt + 1
            if result.error is None:
                return result
        return result

    def uses_socket_mode(self) -> bool:
        """Return True when deliveries should go over websockets instead of HTTP."""
        mode = self.ws.config.socket_mode
        if mode is not None:
            return mode
        return bool(self.active) and not self.ws.config.request_url

    # -- leaving ---------------------------------------------------------------------------
    def _disconnect_message(self, reason: str) -> dict[str, Any]:
        return {"type": "disconnect", "reason": reason,
                "debug_info": {"host": "applink-local"}}

    async def disconnect(self, reason: str, connection_id: str | None = None,
                         grace: float = 1.0) -> None:
        """Tell a connection (or all) to go away; close it after `grace` s if it stays."""
        if reason not in DISCONNECT_REASONS:
            raise ValueError(f"unknown disconnect reason {reason!r}")
        targets = [c for c in self.connections
                   if connection_id is None or c.id == connection_id]
        for conn in targets:
            if reason != "warning":
                conn.draining = True  # no new envelopes; acks in flight still count
            try:
                await self._send(conn, self._disconnect_message(reason))
            except ConnectionError:
                continue  # already gone
        self.ws.touch()
        if reason != "warning":
            for conn in targets:
                asyncio.get_running_loop().call_later(
                    grace, lambda c=conn: asyncio.ensure_future(c.socket.close()))

    async def close(self) -> None:
        """Close every connection (the workspace is shutting down)."""
        for conn in list(self.connections):
            await conn.socket.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")


SOCKET_MODE = web.AppKey("socket_mode", SocketModeHub)


def event_callback(ws: Workspace, event: dict[str, Any]) -> dict[str, Any]:
    """Wrap an event in the `event_callback` body the Events API sends."""
    cfg, now = ws.config, ws.now()
    return {"token": cfg.verification_token, "team_id": cfg.team_id, "api_app_id": cfg.app_id,
            "event": {"event_ts": ws.next_ts(), **event}, "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}", "event_time": int(now),
            "authorizations": [{"enterprise_id": None, "team_id": cfg.team_id,
                                "user_id": cfg.bot_user_id, "is_bot": True,
                                "is_enterprise_install": False}],
            "is_ext_shared_channel": False}
