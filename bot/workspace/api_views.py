"""views.* methods: open, push and update modals."""

from __future__ import annotations

from typing import Any

from .blocks import validate_view
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


METHODS = {
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
}
