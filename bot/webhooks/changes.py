"""POST /webhooks/changes: deploys and configuration changes for root-cause hypotheses."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import SecretStr

from bot.webhooks.alerts import auth_problem
from engine.errors import InvalidInput, Unavailable
from engine.rca.changes import MAX_BODY_BYTES


class ChangeWebhook:
    """One endpoint over the engine's change log, with the alert webhooks' auth."""

    def __init__(self, changes: Any, token: SecretStr | None, metrics: Any, max_bytes: int) -> None:
        self.changes, self.token, self.metrics, self.max_bytes = changes, token, metrics, max_bytes

    def _refuse(self, status: int, reason: str, message: str) -> web.Response:
        self.metrics.webhook_rejections.labels("changes", reason).inc()
        return web.json_response({"ok": False, "error": reason, "message": message}, status=status)

    async def receive(self, request: web.Request) -> web.Response:
        """Store the posted changes; answer how many were new."""
        problem = auth_problem(request.headers.get("Authorization"), self.token)
        if problem:
            return self._refuse(401, "unauthorized", problem)
        if request.content_type != "application/json":
            return self._refuse(415, "unsupported_media_type",
                                f"Content-Type must be application/json, got {request.content_type!r}")
        if request.content_length is not None and request.content_length > self.max_bytes:
            return self._refuse(413, "payload_too_large",
                                f"body is {request.content_length} bytes, limit is {self.max_bytes}")
        body = await request.content.read(self.max_bytes + 1)
        if len(body) > self.max_bytes:
            return self._refuse(413, "payload_too_large", f"body exceeds {self.max_bytes} bytes")
        try:
            res = await self.changes.receive(body)
        except InvalidInput as exc:
            return self._refuse(400, "invalid_payload", exc.message)
        except Unavailable as exc:
            return self._refuse(503, "unavailable", exc.message)
        self.metrics.webhook_received.labels("changes").inc()
        return web.json_response({"ok": True, "changes": res.received, "stored": res.stored,
                                  "duplicate": res.received - res.stored})


def routes(deps: Any) -> list[web.RouteDef]:
    """Build the change webhook route from the bot's dependencies."""
    limit = min(deps.settings.max_webhook_bytes, MAX_BODY_BYTES)
    hook = ChangeWebhook(deps.engine.rca.changes, deps.settings.webhook_token, deps.metrics, limit)
    return [web.post("/webhooks/changes", hook.receive)]
