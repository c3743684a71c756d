"""Show what a bot answers (HTTP body or `response_url` post) the way Slack does."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .api_chat import check_content
from .appkeys import WORKSPACE
from .errors import ApiError
from .state import Workspace
from .tokens import ResponseTarget, TokenError


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


def show_response(ws: Workspace, target: ResponseTarget, body: dict[str, Any]) -> None:
    """Apply a response: delete or replace the original, or post ephemeral/in_channel."""
    channel = ws.require_channel(target.channel_id)
    if _truthy(body.get("delete_original")):
        _delete_original(ws, target)
        return
    text, blocks = check_content(ws, body)
    if _truthy(body.get("replace_original")) and target.origin_ts:
        _replace_original(ws, target, text, blocks)
        return
    msg = ws.bot_message(text or "", blocks)
    thread_ts = body.get("thread_ts") or None
    if thread_ts and ws.find(channel, thread_ts) is None:
        thread_ts = None  # Slack posts to the channel when the thread is unknown
    if body.get("response_type") == "in_channel":
        ws.post(channel, msg, thread_ts=thread_ts)
    else:
        ws.post_ephemeral(channel, target.user_id, msg, thread_ts=thread_ts)


def _delete_original(ws: Workspace, target: ResponseTarget) -> None:
    if not target.origin_ts:
        raise ApiError("no_original_message")
    if target.origin_ephemeral:
        if ws.ephemerals.pop(target.origin_ts, None) is None:
            raise ApiError("message_not_found")
        ws.touch()
        return
    channel = ws.require_channel(target.channel_id)
    if ws.find(channel, target.origin_ts) is None:
        raise ApiError("message_not_found")
    ws.remove(channel, target.origin_ts)


def _replace_original(ws: Workspace, target: ResponseTarget, text: str | None,
                      blocks: list | None) -> None:
    replacement = ws.bot_message(text or "", blocks)
    if target.origin_ephemeral:
        eph = ws.ephemerals.get(target.origin_ts or "")
        if eph is None:
            raise ApiError("message_not_found")
        eph["text"] = replacement["text"]
        # Replacing means the new content wins entirely, blocks included.
        eph["blocks"] = replacement.get("blocks", [])
        ws.touch()
        return
    channel = ws.require_channel(target.channel_id)
    if ws.find(channel, target.origin_ts) is None:
        raise ApiError("message_not_found")
    ws.edit(channel, target.origin_ts or "", replacement["text"], replacement.get("blocks", []))


async def handle_response_url(request: web.Request) -> web.Response:
    """POST /response/<token>: Slack's response_url (5 uses within 30 minutes)."""
    ws = request.app[WORKSPACE]
    try:
        target = ws.tokens.use_response_url(request.match_info["token"], ws.now())
    except TokenError as err:
        return web.Response(status=404, text=err.code)
    raw = await request.text()
    try:
        if request.content_type == "application/x-www-form-urlencoded":
            form = await request.post()
            raw = str(form.get("payload", ""))
        body = json.loads(raw)
        if not isinstance(body, dict):
            raise ValueError("not an object")
    except ValueError:
        return web.Response(status=400, text="invalid_payload")
    try:
        show_response(ws, target, body)
    except ApiError as err:
        detail = "\n".join(err.errors or err.messages or [])
        return web.Response(status=400, text=err.code + ("\n" + detail if detail else ""))
    return web.Response(text="ok")
