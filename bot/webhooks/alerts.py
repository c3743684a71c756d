"""POST /webhooks/alertmanager and POST /webhooks/alerts: authenticate, size-check, hand to the engine."""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from typing import Any

from aiohttp import web
from pydantic import SecretStr

from engine.alerts.parse import PayloadTooLarge
from engine.errors import InvalidInput, Unavailable

log = logging.getLogger("opsbot.webhooks.alerts")


def auth_problem(header: str | None, token: SecretStr | None) -> str | None:
    """Return why an Authorization header fails (bearer token, or basic auth with it as password)."""
    if token is None or not token.get_secret_value():
        return "OPSBOT_WEBHOOK_TOKEN is not set on the server, so webhooks are refused"
    if not header:
        return "missing Authorization header (use Bearer <token> or basic auth)"
    scheme, _, cred = header.partition(" ")
    secret = token.get_secret_value().encode()
    if scheme.lower() == "bearer":
        given = cred.strip().encode()
    elif scheme.lower() == "basic":
        try:
            given = base64.b64decode(cred.strip(), validate=True).partition(b":")[2]
        except (binascii.Error, ValueError):
            return "malformed basic auth credentials"
    else:
        return f"unsupported Authorization scheme {scheme!r}"
    return None if hmac.compare_digest(given, secret) else "wrong webhook token"


class AlertWebhooks:
    """The two alert endpoints over one engine alert service."""

    def __init__(self, service: Any, token: SecretStr | None, metrics: Any, max_bytes: int) -> None:
        self.service, self.token, self.metrics, self.max_bytes = service, token, metrics, max_bytes

    def _refuse(self, source: str, status: int, reason: str, message: str) -> web.Response:
        self.metrics.webhook_rejections.labels(source, reason).inc()
        return web.json_response({"ok": False, "error": reason, "message": message}, status=status)

    async def _handle(self, request: web.Request, kind: str, source: str) -> web.Response:
        problem = auth_problem(request.headers.get("Authorization"), self.token)
        if problem:
            return self._refuse(source, 401, "unauthorized", problem)
        if request.content_type != "application/json":
            return self._refuse(source, 415, "unsupported_media_type",
                                f"Content-Type must be application/json, got {request.content_type!r}")
        if request.content_length is not None and request.content_length > self.max_bytes:
            return self._refuse(source, 413, "payload_too_large",
                                f"body is {request.content_length} bytes, limit is {self.max_bytes}")
        body = await request.read()
        try:  # the engine decides whether it processes the body now or stores it for its pump
            res = await self.service.receive(kind, body)
        except PayloadTooLarge as exc:
            return self._refuse(source, 413, "payload_too_large", exc.message)
        except InvalidInput as exc:
            return self._refuse(source, 400, "invalid_payload", exc.message)
        except Unavailable as exc:
            # 5xx makes Alertmanager retry; the body was not stored, so nothing is lost.
            return self._refuse(source, 503, "unavailable", exc.message)
        self.metrics.webhook_received.labels(source).inc()
        return web.json_response({"ok": True, "batch": res.batch_id, "alerts": res.alerts,
                                  "duplicate": res.duplicate, "deferred": res.deferred,
                                  "queued": res.queued})

    async def alertmanager(self, request: web.Request) -> web.Response:
        """Receive an Alertmanager v4 webhook."""
        return await self._handle(request, "alertmanager", "alertmanager")

    async def generic(self, request: web.Request) -> web.Response:
        """Receive a body in the generic alert schema."""
        return await self._handle(request, "generic", "generic")

    def routes(self) -> list[web.RouteDef]:
        """Return the aiohttp route definitions."""
        return [web.post("/webhooks/alertmanager", self.alertmanager), web.post("/webhooks/alerts", self.generic)]


def routes(deps: Any) -> list[web.RouteDef]:
    """Build the alert webhook routes from the bot's dependencies."""
    service = deps.engine.alerts
    limit = min(deps.settings.max_webhook_bytes, service.cfg.limits.max_body_bytes)
    return AlertWebhooks(service, deps.settings.webhook_token, deps.metrics, limit).routes()
