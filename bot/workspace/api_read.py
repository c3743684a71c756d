"""Read methods: users.info, usergroups.users.list and conversations.*."""

from __future__ import annotations

from typing import Any

from .api_chat import public
from .config import SeedUser
from .errors import ApiError
from .state import Channel, Workspace


def user_object(ws: Workspace, user: SeedUser) -> dict[str, Any]:
    """Return the Slack shape of a user."""
    is_bot = user.id == ws.config.bot_user_id
    return {
        "id": user.id, "team_id": ws.config.team_id, "name": user.name, "deleted": False,
        "real_name": user.real_name, "tz": "Etc/UTC", "tz_offset": 0, "is_bot": is_bot,
        "is_admin": False, "is_app_user": False,
        "profile": {"real_name": user.real_name, "display_name": user.name,
                    "email": user.email, "team": ws.config.team_id},
    }


def channel_object(ws: Workspace, channel: Channel) -> dict[str, Any]:
    """Return the Slack shape of a channel."""
    members = ws.members(channel)
    return {
        "id": channel.id, "name": channel.name, "is_channel": True, "is_group": False,
        "is_im": False, "is_private": channel.is_private, "is_archived": False,
        "is_member": ws.config.bot_user_id in members,
        "is_general": False, "created": channel.created, "creator": channel.creator,
        "topic": {"value": channel.topic, "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
        "num_members": len([m for m in members if m != ws.config.bot_user_id]),
    }


def users_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """users.info: look a user up by id."""
    user = ws.user(str(args.get("user", ""))) if args.get("user") else None
    if user is None or user.id.lstrip("@") != str(args.get("user")):
        raise ApiError("user_not_found")
    return {"ok": True, "user": user_object(ws, user)}


def usergroups_users_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """usergroups.users.list: the members of a user group."""
    group = ws.usergroups.get(str(args.get("usergroup", "")))
    if group is None:
        raise ApiError("no_such_subteam")
    return {"ok": True, "users": list(group.members)}


def _page(items: list, args: dict[str, Any], default: int) -> tuple[list, str]:
    # Cursor pagination like Slack: the cursor is an opaque offset.
    try:
        start = int(args.get("cursor") or 0)
        limit = int(args.get("limit") or default) or default
    except ValueError as exc:
        raise ApiError("invalid_cursor") from exc
    chunk = items[start:start + limit]
    nxt = str(start + limit) if start + limit < len(items) else ""
    return chunk, nxt


def conversations_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.list: the public channels."""
    chans = [channel_object(ws, c) for c in ws.channels.values()]
    chunk, nxt = _page(chans, args, 100)
    return {"ok": True, "channels": chunk, "response_metadata": {"next_cursor": nxt}}


def _channel(ws: Workspace, args: dict[str, Any]) -> Channel:
    channel = ws.channel(args.get("channel"))
    if channel is None:
        raise ApiError("channel_not_found")
    return channel


def conversations_history(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.history: top-level messages, newest first like Slack."""
    channel = _channel(ws, args)
    oldest = float(args.get("oldest") or 0)
    latest = float(args.get("latest") or "inf")
    # Like Slack, message metadata is only returned when asked for.
    keep_meta = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
    msgs = [public(m) for m in reversed(ws.history(channel))
            if oldest <= float(m["ts"]) <= latest]
    if not keep_meta:
        msgs = [{k: v for k, v in m.items() if k != "metadata"} for m in msgs]
    chunk, nxt = _page(msgs, args, 100)
    return {"ok": True, "messages": chunk, "has_more": bool(nxt),
            "response_metadata": {"next_cursor": nxt}}


def conversations_replies(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.replies: a thread's parent then replies, oldest first."""
    channel = _channel(ws, args)
    thread = ws.thread(channel, str(args.get("ts", "")))
    if not thread:
        raise ApiError("thread_not_found")
    msgs = [public(m) for m in thread]
    if str(args.get("include_all_metadata", "")).lower() not in ("1", "true"):  # as history does
        msgs = [{k: v for k, v in m.items() if k != "metadata"} for m in msgs]
    chunk, nxt = _page(msgs, args, 1000)
    return {"ok": True, "messages": chunk, "has_more": bool(nxt),
            "response_metadata": {"next_cursor": nxt}}


METHODS = {
    "users.info": users_info,
    "usergroups.users.list": usergroups_users_list,
    "conversations.list": conversations_list,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
}
