"""chat.* methods: post, update, delete and ephemeral messages, with validation and limits."""

from __future__ import annotations

import math
from typing import Any

from .blocks import validate_blocks
from .errors import ApiError, ratelimited
from .state import Channel, Workspace

MAX_TEXT = 40000
PUBLIC_KEYS = ("visible_to", "is_ephemeral", "channel")


def public(msg: dict[str, Any]) -> dict[str, Any]:
    """Return a message without the workspace's bookkeeping keys."""
    return {k: v for k, v in msg.items() if k not in PUBLIC_KEYS}


def check_content(ws: Workspace, args: dict[str, Any]) -> tuple[str | None, list | None]:
    """Validate `text` and `blocks` like Slack; return them or raise ApiError."""
    text = args.get("text")
    blocks = args.get("blocks")
    if text is not None and not isinstance(text, str):
        text = str(text)
    if blocks is not None:
        errors = validate_blocks(blocks)
        if errors:
            raise ApiError("invalid_blocks", errors=errors)
    if not text and not blocks and not args.get("attachments"):
        raise ApiError("no_text")
    if blocks and not text and ws.config.require_text_fallback:
        # Slack only warns here; the local workspace is strict so bots always send a fallback.
        raise ApiError("invalid_arguments", messages=[
            "[ERROR] missing required field: text (a text fallback is required when blocks "
            "are present) [json-pointer:/text]"])
    if text and len(text) > MAX_TEXT:
        raise ApiError("msg_too_long")
    return text, blocks


def _channel(ws: Workspace, args: dict[str, Any]) -> Channel:
    channel = ws.channel(args.get("channel"))
    if channel is None:
        raise ApiError("channel_not_found")
    return channel


def _metadata(args: dict[str, Any]) -> dict[str, Any] | None:
    meta = args.get("metadata")
    if meta is None:
        return None
    if (not isinstance(meta, dict) or not isinstance(meta.get("event_type"), str)
            or not isinstance(meta.get("event_payload"), dict)):
        raise ApiError("invalid_metadata_format")
    return {"event_type": meta["event_type"], "event_payload": meta["event_payload"]}


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true", "yes")


def _outage(ws: Workspace) -> None:
    left = ws.limited_until - ws.now()
    if left > 0:  # a workspace-wide rate-limit window (tests of the bot's 429 handling)
        raise ratelimited(max(1, math.ceil(left)))


def post_message(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """chat.postMessage: post as the bot, optionally in a thread; limited per channel."""
    channel = _channel(ws, args)
    text, blocks = check_content(ws, args)
    metadata = _metadata(args)
    thread_ts = args.get("thread_ts") or None
    if thread_ts and ws.find(channel, thread_ts) is None:
        raise ApiError("thread_not_found")
    _outage(ws)
    wait = ws.limiter.take(channel.id, ws.now())
    if wait is not None:
        raise ratelimited(wait)
    msg = ws.bot_message(text or "", blocks)
    if metadata:
        msg["metadata"] = metadata  # apps find their own messages again by it
    msg = ws.post(channel, msg, thread_ts=thread_ts, broadcast=_bool(args.get("reply_broadcast")))
    ws.writes.append({"method": "post", "channel": channel.id, "ts": msg["ts"], "thread_ts": msg.get("thread_ts"),
                      "text": msg["text"], "key": (metadata or {}).get("event_payload", {}).get("key"),
                      "at": ws.now()})
    return {"ok": True, "channel": channel.id, "ts": msg["ts"], "message": public(msg)}


def update(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """chat.update: edit a message the bot posted; omitted blocks are kept like Slack."""
    channel = _channel(ws, args)
    msg = ws.find(channel, args.get("ts"))
    if msg is None:
        raise ApiError("message_not_found")
    if msg.get("user") != ws.config.bot_user_id:
        raise ApiError("cant_update_message")
    text, blocks = check_content(ws, args)
    metadata = _metadata(args)
    _outage(ws)
    msg = ws.edit(channel, msg["ts"], text, blocks)
    ws.writes.append({"method": "update", "channel": channel.id, "ts": msg["ts"], "thread_ts": msg.get("thread_ts"),
                      "text": msg["text"], "key": None, "at": ws.now()})
    if metadata:
        msg["metadata"] = metadata
    return {"ok": True, "channel": channel.id, "ts": msg["ts"], "text": msg["text"],
            "message": public(msg)}


def delete(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """chat.delete: remove a message the bot posted."""
    channel = _channel(ws, args)
    msg = ws.find(channel, args.get("ts"))
    if msg is None:
        raise ApiError("message_not_found")
    if msg.get("user") != ws.config.bot_user_id:
        raise ApiError("cant_delete_message")
    ws.remove(channel, msg["ts"])
    return {"ok": True, "channel": channel.id, "ts": msg["ts"]}


def post_ephemeral(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """chat.postEphemeral: show a message to one user in a channel."""
    channel = _channel(ws, args)
    user_ref = args.get("user")
    user = ws.user(user_ref) if user_ref else None
    if user is None or user.id not in ws.users:
        raise ApiError("user_not_found")
    text, blocks = check_content(ws, args)
    thread_ts = args.get("thread_ts") or None
    eph = ws.post_ephemeral(channel, user.id, ws.bot_message(text or "", blocks),
                            thread_ts=thread_ts)
    return {"ok": True, "message_ts": eph["ts"]}


METHODS = {
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.delete": delete,
    "chat.postEphemeral": post_ephemeral,
}
