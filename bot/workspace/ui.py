"""The page's own endpoints: static files, state polling and what a person does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import web

from .api_chat import public
from .api_read import channel_object
from .appkeys import WORKSPACE
from .emoji import shortcodes
from .interactions import INTERACTIONS, BotAnswer
from .state import SLACKBOT, Workspace

STATIC = Path(__file__).parent / "static"
HISTORY_LIMIT = 200


def _ws(request: web.Request) -> Workspace:
    return request.app[WORKSPACE]


def _ui_message(msg: dict[str, Any]) -> dict[str, Any]:
    out = public(msg)
    if msg.get("is_ephemeral"):
        out["ephemeral"] = True
    return out


async def index(request: web.Request) -> web.FileResponse:
    """Serve the single-page workspace."""
    return web.FileResponse(STATIC / "index.html")


async def bootstrap(request: web.Request) -> web.Response:
    """Return the team, people, channels, groups and emoji the page needs once.

    A page load is a client restart: as in Slack, no modal survives it.
    """
    ws = _ws(request)
    for user_id in list(ws.users):
        if ws.views.top(user_id) is not None:
            ws.views.clear(user_id)
            ws.touch()
    people = [{"id": u.id, "name": u.name, "real_name": u.real_name} for u in ws.users.values()]
    people.append({"id": ws.bot_user.id, "name": ws.bot_user.name,
                   "real_name": ws.bot_user.real_name, "is_bot": True})
    people.append({"id": SLACKBOT.id, "name": SLACKBOT.name, "real_name": SLACKBOT.real_name,
                   "is_bot": True})
    return web.json_response({
        "team": {"id": ws.config.team_id, "name": ws.config.team_name},
        "command": ws.config.command,
        "bot": {"id": ws.config.bot_user_id, "name": ws.config.bot_name},
        "users": people,
        "channels": [channel_object(ws, c) for c in ws.channels.values()],
        "usergroups": [{"id": g.id, "handle": g.handle, "name": g.name}
                       for g in ws.usergroups.values()],
        "emoji": shortcodes(),
    })


async def state(request: web.Request) -> web.Response:
    """Return the selected channel (and thread, modal) as `user` sees it, if changed."""
    ws = _ws(request)
    q = request.query
    since = q.get("since", "")
    if since.isdigit() and int(since) == ws.version:
        return web.json_response({"version": ws.version, "changed": False})
    channel = ws.channel(q.get("channel")) or next(iter(ws.channels.values()))
    user_id = q.get("user", "")
    ephemerals = ws.ephemerals_for(user_id, channel.id)
    top = ws.history(channel) + [e for e in ephemerals if not e.get("thread_ts")]
    top.sort(key=lambda m: float(m["ts"]))
    body: dict[str, Any] = {
        "version": ws.version, "changed": True,
        "channel": {"id": channel.id, "name": channel.name, "topic": channel.topic},
        # Channels the bot created appear for their members; the Home tab when it is shown.
        "channels": [channel_object(ws, c) for c in ws.channels.values() if user_id in ws.members(c)],
        "home": ws.homes.get(user_id) if q.get("home") == "1" else None,
        "messages": [_ui_message(m) for m in top[-HISTORY_LIMIT:]],
        "thread": None, "modal": None,
    }
    thread = ws.thread(channel, q["thread"]) if q.get("thread") else []
    if thread:
        root = thread[0]["ts"]
        extra = [e for e in ephemerals if e.get("thread_ts") == root]
        replies = sorted(thread[1:] + extra, key=lambda m: float(m["ts"]))
        body["thread"] = {"parent": _ui_message(thread[0]),
                          "replies": [_ui_message(m) for m in replies]}
    view = ws.views.top(user_id)
    if view is not None:
        body["modal"] = {"view": view, "errors": ws.views.errors.get(view["id"], {}),
                         "depth": len(ws.views.stack(user_id))}
    return web.json_response(body)


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise web.HTTPBadRequest(text="invalid JSON") from exc
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return data


def _answer(answer: BotAnswer | None) -> web.Response:
    if answer is None:
        return web.json_response({"ok": True})
    return web.json_response({"ok": answer.error is None, "error": answer.error,
                              "status": answer.status})


async def _guard(coro: Any) -> web.Response:
    # Mistakes a person can make in the page come back as 400 with the reason.
    try:
        return _answer(await coro)
    except (KeyError, LookupError, ValueError) as exc:
        return web.json_response({"ok": False, "error": str(exc)}, status=400)


async def send(request: web.Request) -> web.Response:
    """Send what was typed: a slash command when it starts with the command, else a message."""
    ws = _ws(request)
    inter = request.app[INTERACTIONS]
    data = await _json(request)
    text = str(data.get("text", "")).strip()
    user, channel = str(data.get("user", "")), str(data.get("channel", ""))
    if not text:
        return web.json_response({"ok": False, "error": "empty message"}, status=400)
    command = ws.config.command
    if text == command or text.startswith(command + " "):
        return await _guard(inter.send_slash_command(user, channel, text[len(command):].strip()))
    try:
        person, chan = ws.require_user(user), ws.require_channel(channel)
    except KeyError as exc:
        return web.json_response({"ok": False, "error": str(exc)}, status=400)
    thread_ts = data.get("thread_ts") or None
    if thread_ts and ws.find(chan, thread_ts) is None:
        return web.json_response({"ok": False, "error": "thread_not_found"}, status=400)
    ws.post(chan, ws.user_message(person.id, text), thread_ts=thread_ts)
    return web.json_response({"ok": True})


async def action(request: web.Request) -> web.Response:
    """Forward a click or selection on a message or in a modal."""
    inter = request.app[INTERACTIONS]
    d = await _json(request)
    user, action_id = str(d.get("user", "")), str(d.get("action_id", ""))
    if d.get("view_id"):
        return await _guard(inter.click_in_view(user, action_id, d.get("value"),
                                                d.get("block_id")))
    return await _guard(inter.click(user, str(d.get("channel", "")), str(d.get("ts", "")),
                                    action_id, d.get("value"), d.get("block_id")))


async def submit(request: web.Request) -> web.Response:
    """Submit the open modal with the values typed in the page."""
    inter = request.app[INTERACTIONS]
    d = await _json(request)
    return await _guard(inter.submit_view(str(d.get("user", "")), d.get("values") or {},
                                          d.get("view_id")))


async def close(request: web.Request) -> web.Response:
    """Close the open modal."""
    inter = request.app[INTERACTIONS]
    d = await _json(request)
    return await _guard(inter.close_view(str(d.get("user", "")), d.get("view_id")))


async def home(request: web.Request) -> web.Response:
    """Open the app's Home tab as a person: the bot is sent `app_home_opened`."""
    inter = request.app[INTERACTIONS]
    d = await _json(request)
    return await _guard(inter.open_home(str(d.get("user", ""))))


async def dismiss(request: web.Request) -> web.Response:
    """Dismiss one of the user's ephemeral messages, as Slack's "Dismiss" link does."""
    ws = _ws(request)
    d = await _json(request)
    eph = ws.ephemerals.get(str(d.get("ts", "")))
    if eph is None or eph["visible_to"] != d.get("user"):
        return web.json_response({"ok": False, "error": "message_not_found"}, status=404)
    del ws.ephemerals[eph["ts"]]
    ws.touch()
    return web.json_response({"ok": True})


def add_routes(app: web.Application) -> None:
    """Register the page and its endpoints."""
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC)
    app.router.add_get("/ui/bootstrap", bootstrap)
    app.router.add_get("/ui/state", state)
    app.router.add_post("/ui/send", send)
    app.router.add_post("/ui/action", action)
    app.router.add_post("/ui/submit", submit)
    app.router.add_post("/ui/close", close)
    app.router.add_post("/ui/dismiss", dismiss)
    app.router.add_post("/ui/home", home)
