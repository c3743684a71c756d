"""views.* methods: open, push and update modals."""

from __future__ import annotations

from typing import Any

from .blocks import validate_blocks, validate_view
from .errors import ApiError
from .state import Workspace
from .tokens import TokenError
from .views import ViewError


def _view_arg(args: dict[str, Any]) -> dict[str, Any]:
    view = args.get("view")
    if not isinstance(view, dict):
        raise ApiError("invalid_arguments", messages=["[ERROR] missing required field: view"])
    problems = validate_view(view)
    if problems:
        # Slack reports view problems as invalid_arguments with one message per problem.
        raise ApiError("invalid_arguments", messages=[f"[ERROR] {p}" for p in problems])
    return view


def _consume(ws: Workspace, args: dict[str, Any]) -> str:
    try:
        return ws.tokens.consume_trigger(args.get("trigger_id"), ws.now())
    except TokenError as err:
        raise ApiError(err.code) from err


def views_open(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """views.open: open a modal for the user whose interaction issued the trigger id."""
    view = _view_arg(args)
    user_id = _consume(ws, args)
    try:
        record = ws.views.open(user_id, view, ws.now())
    except ViewError as err:
        raise ApiError(err.code) from err
    ws.touch()
    return {"ok": True, "view": record}


def views_push(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """views.push: stack a new view on top of the user's open modal."""
    view = _view_arg(args)
    user_id = _consume(ws, args)
    try:
        record = ws.views.push(user_id, view, ws.now())
    except ViewError as err:
        raise ApiError(err.code) from err
    ws.touch()
    return {"ok": True, "view": record}


def views_update(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """views.update: replace an open view by `view_id` or `external_id` (optional `hash`)."""
    view = _view_arg(args)
    if not args.get("view_id") and not args.get("external_id"):
        raise ApiError("invalid_arguments",
                       messages=["[ERROR] either view_id or external_id is required"])
    try:
        record = ws.views.update(args.get("view_id"), args.get("external_id"), view,
                                 args.get("hash"), ws.now())
    except ViewError as err:
        raise ApiError(err.code) from err
    ws.touch()
    return {"ok": True, "view": record}


def views_publish(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """views.publish: set the app's Home tab as one user sees it (`hash` guards races)."""
    view = args.get("view")
    if not isinstance(view, dict) or view.get("type") != "home":
        raise ApiError("invalid_arguments", messages=["[ERROR] view.type must be `home`"])
    problems = validate_blocks(view.get("blocks"), modal=True, root="/view/blocks")  # home: 100 blocks
    if problems:
        raise ApiError("invalid_arguments", messages=[f"[ERROR] {p}" for p in problems])
    user = ws.users.get(str(args.get("user_id") or ""))
    if user is None:
        raise ApiError("invalid_arguments", messages=["invalid `user_id`"])
    old = ws.homes.get(user.id)
    if args.get("hash") and old is not None and args["hash"] != old["hash"]:
        raise ApiError("hash_conflict")
    record = {"id": old["id"] if old else f"VH{len(ws.homes) + 1:07d}", "team_id": ws.config.team_id,
              "type": "home", "blocks": view.get("blocks", []), "callback_id": view.get("callback_id", ""),
              "private_metadata": view.get("private_metadata", ""), "external_id": view.get("external_id", ""),
              "hash": f"{ws.now():.6f}.{ws.version}", "app_id": ws.config.app_id, "bot_id": ws.config.bot_id,
              "state": {"values": {}}, "close": None, "submit": None}
    ws.homes[user.id] = record
    ws.touch()
    return {"ok": True, "view": record}


METHODS = {
    "views.publish": views_publish,
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
}
