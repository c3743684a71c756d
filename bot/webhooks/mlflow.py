"""POST /webhooks/mlflow: MLflow registry webhooks, HMAC-verified, that trigger a registry look now."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from engine.errors import Forbidden, InvalidInput

MAX_BODY_BYTES = 256 * 1024


def routes(deps: Any) -> list[web.RouteDef]:
    """Mount the MLflow webhook when the model feature is wired."""

    async def receive(request: web.Request) -> web.Response:
        service = deps.engine.models
        if service is None:
            return web.json_response({"ok": False, "error": "not_configured",
                                      "message": "no model registry is configured"}, status=404)
        body = await request.content.read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            deps.metrics.webhook_rejections.labels("mlflow", "payload_too_large").inc()
            return web.json_response({"ok": False, "error": "payload_too_large"}, status=413)
        try:
            relevant = await service.on_webhook(dict(request.headers), body)
        except Forbidden as exc:
            deps.metrics.webhook_rejections.labels("mlflow", "unauthorized").inc()
            return web.json_response({"ok": False, "error": "unauthorized", "message": exc.message}, status=401)
        except InvalidInput as exc:
            deps.metrics.webhook_rejections.labels("mlflow", "invalid_payload").inc()
            return web.json_response({"ok": False, "error": "invalid_payload", "message": exc.message}, status=400)
        deps.metrics.webhook_received.labels("mlflow").inc()
        return web.json_response({"ok": True, "woke_watch": relevant})

    return [web.post("/webhooks/mlflow", receive)]
