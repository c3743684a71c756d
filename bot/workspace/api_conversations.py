"""conversations.create/invite/members and pins.*: what an incident channel needs, in Slack's shapes."""

from __future__ import annotations

import re
from typing import Any

from .api_chat import public
from .api_read import channel_object
from .errors import ApiError
from .state import Channel, Workspace

MAX_NAME = 80
NAME_CHARS = re.compile(r"^[a-z0-9_\-]+$")  # Slack: lowercase letters, digits, hyphens, underscores


def name_problem(name: str) -> str | None:
    """Return Slack's error code for a channel name it would refuse, or None."""
    if not name:
        return "invalid_name_required"
    if len(name) > MAX_NAME:
        return "invalid_name_maxlength"
    if not NAME_CHARS.match(name):
        return "invalid_name_specials"  # spaces, periods, upper case and other specials
    if not re.search(r"[a-z0-9]", name):
        return "invalid_name_punctuation"
    return None


def _channel(ws: Workspace, args: dict[str, Any]) -> Channel:
    channel = ws.channel(args.get("channel"))
    if channel is None:
        raise ApiError("channel_not_found")
    return channel


def conversations_create(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.create: a new public (or private) channel with the bot as its only member."""
    name = str(args.get("name") or "")
    problem = name_problem(name)
    if problem:
        raise ApiError(problem)
    if any(c.name == name for c in ws.channels.values()):
        raise ApiError("name_taken")
    cid = f"C1{len(ws.channels):07d}"  # channels are never deleted, so the count is unique
    channel = Channel(cid, name, members=[ws.config.bot_user_id], creator=ws.config.bot_user_id,
                      created=int(ws.now()), is_private=str(args.get("is_private", "")).lower() in ("1", "true"))
    ws.channels[cid] = channel
    ws.touch()
    return {"ok": True, "channel": channel_object(ws, channel)}


def conversations_invite(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.invite: add people; without `force` one failure refuses the whole call."""
    channel = _channel(ws, args)
    refs = [u.strip() for u in str(args.get("users") or "").split(",") if u.strip()]
    if not refs:
        raise ApiError("no_user")
    members = ws.members(channel)
    if ws.config.bot_user_id not in members:
        raise ApiError("not_in_channel")
    failures: list[dict[str, Any]] = []
    adding: list[str] = []
    for ref in refs:
        code = None
        if ref == ws.config.bot_user_id:
            code = "cant_invite_self"
        elif ref not in ws.users:
            code = "user_not_found"
        elif ref in members or ref in adding:
            code = "already_in_channel"
        if code:
            failures.append({"user": ref, "ok": False, "error": code})
        else:
            adding.append(ref)
    force = str(args.get("force", "")).lower() in ("1", "true")
    if failures and (not force or not adding):
        # Slack lists each user's failure on multi-user invites.
        raise ApiError(failures[0]["error"], extra={"errors": failures} if len(refs) > 1 else None)
    channel.members = members + adding
    ws.touch()
    out: dict[str, Any] = {"ok": True, "channel": channel_object(ws, channel)}
    if failures:
        out["errors"] = failures
    return out


def conversations_members(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.members: who is in a channel."""
    return {"ok": True, "members": ws.members(_channel(ws, args)),
            "response_metadata": {"next_cursor": ""}}


def pins_add(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """pins.add: pin a message (by `timestamp`) to its channel."""
    channel = _channel(ws, args)
    ts = args.get("timestamp")
    if not ts:
        raise ApiError("no_item_specified")
    if ws.find(channel, str(ts)) is None:
        raise ApiError("message_not_found")
    if ts in channel.pins:
        raise ApiError("already_pinned")
    channel.pins.append(str(ts))
    ws.find(channel, str(ts))["pinned_to"] = [channel.id]  # type: ignore[index]
    ws.touch()
    return {"ok": True}


def pins_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """pins.list: the channel's pinned messages, newest pin first."""
    channel = _channel(ws, args)
    items = [{"type": "message", "channel": channel.id, "created_by": ws.config.bot_user_id,
              "message": public(channel.messages[ts])}
             for ts in reversed(channel.pins) if ts in channel.messages]
    return {"ok": True, "items": items}


METHODS = {
    "conversations.create": conversations_create,
    "conversations.invite": conversations_invite,
    "conversations.members": conversations_members,
    "pins.add": pins_add,
    "pins.list": pins_list,
}
