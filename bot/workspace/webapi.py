"""The Web API subset at `/api/<method>`, answering slack_sdk clients in Slack's shapes."""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

from aiohttp import web

from . import api_chat, api_conversations, api_files, api_read, api_views
from .appkeys import WORKSPACE
from .errors import ApiError
from .socket_mode import SOCKET_MODE
from .state import Workspace

Handler = Callable[[Workspace, dict[str, Any]], Awaitable[dict[str, Any]] | dict[str, Any]]

# Fields Slack accepts either as JSON or as a JSON-encoded string in form bodies.
JSON_FIELDS = ("blocks", "view", "attachments", "metadata")


def _auth_test(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    cfg = ws.config
    return {
        "ok": True, "url": f"https://{cfg.team_domain}.slack.com/", "team": cfg.team_name,
        "user": cfg.bot_name, "team_id": cfg.team_id, "user_id": cfg.bot_user_id,
        "bot_id": cfg.bot_id, "is_enterprise_install": False,
    }


METHODS: dict[str, Handler] = {
    "api.test": lambda ws, args: {"ok": True, "args": {k: v for k, v in args.items()
                                                       if k != "token"}},
    "auth.test": _auth_test,
    **api_chat.METHODS,
    **api_views.METHODS,
    **api_read.METHODS,
    **api_conversations.METHODS,
    **api_files.METHODS,
}
# api.test is the one method Slack answers without a token.
NO_AUTH = {"api.test"}
# Methods that take the app-level token (xapp-) instead of the bot token.
APP_LEVEL = {"apps.connections.open"}


async def _read_args(request: web.Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = await request.json()
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ApiError("invalid_json") from exc
            if not isinstance(body, dict):
                raise ApiError("invalid_json")
            args.update(body)
        else:
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
    for key in JSON_FIELDS:
        if isinstance(args.get(key), str) and args[key].strip():
            try:
                args[key] = json.loads(args[key])
            except json.JSONDecodeError as exc:
                code = "invalid_blocks_format" if key == "blocks" else "invalid_arguments"
                raise ApiError(code, messages=[f"[ERROR] {key} is not valid JSON"]) from exc
    return args


def _token(request: web.Request, args: dict[str, Any]) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else args.get("token")


def _check_token(ws: Workspace, request: web.Request, args: dict[str, Any]) -> None:
    token = _token(request, args)
    if not token:
        raise ApiError("not_authed")
    if token.startswith("xapp-"):
        raise ApiError("not_allowed_token_type")  # app-level tokens only open sockets
    if token != ws.config.bot_token:
        raise ApiError("invalid_auth")


async def handle_api(request: web.Request) -> web.Response:
    """Dispatch one Web API call and answer with Slack's JSON shape."""
    ws = request.app[WORKSPACE]
    method = request.match_info["method"]
    try:
        if method in APP_LEVEL:
            args = await _read_args(request)
            hub = request.app[SOCKET_MODE]
            hub.check_app_token(_token(request, args))
            return web.json_response(hub.open_url())
        handler = METHODS.get(method)
        if handler is None:
            raise ApiError("unknown_method")
        args = await _read_args(request)
        if method not in NO_AUTH:
            _check_token(ws, request, args)
        result = handler(ws, args)
        if isinstance(result, Awaitable):
            result = await result
        return web.json_response(result)
    except ApiError as err:
        return web.json_response(err.body(), status=err.status, headers=err.headers)
