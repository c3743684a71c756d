"""Modal views: a stack per user (open, push, update, close) with field errors."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from .blocks import fill_ids

MAX_STACK = 3  # Slack allows at most three views in a modal stack


class ViewError(Exception):
    """A Slack error code for a views.* call."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Views:
    """Holds every modal view by id and the stack of open views for each user."""

    def __init__(self, team_id: str, app_id: str, bot_id: str) -> None:
        self.team_id = team_id
        self.app_id = app_id
        self.bot_id = bot_id
        self._views: dict[str, dict[str, Any]] = {}
        self._owner: dict[str, str] = {}
        self._stacks: dict[str, list[str]] = {}
        self.errors: dict[str, dict[str, str]] = {}

    def _record(self, view: dict, now: float, root: str | None, previous: str | None,
                view_id: str | None = None) -> dict:
        view_id = view_id or "V" + secrets.token_hex(5).upper()
        record = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view.get("type", "modal"),
            "callback_id": view.get("callback_id", ""),
            "private_metadata": view.get("private_metadata", ""),
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": fill_ids(copy.deepcopy(view.get("blocks", []))),
            "state": {"values": {}},
            "hash": f"{now:.6f}.{secrets.token_hex(4)}",
            "root_view_id": root or view_id,
            "previous_view_id": previous,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "external_id": view.get("external_id", ""),
        }
        self._views[view_id] = record
        return record

    def open(self, user_id: str, view: dict, now: float) -> dict:
        """Open a new modal for the user, replacing any stack they had."""
        self._check_external_id(view)
        record = self._record(view, now, None, None)
        self._owner[record["id"]] = user_id
        self._stacks[user_id] = [record["id"]]
        return record

    def push(self, user_id: str, view: dict, now: float) -> dict:
        """Push a view on the user's open modal stack."""
        stack = self._stacks.get(user_id) or []
        if not stack:
            raise ViewError("not_found")
        if len(stack) >= MAX_STACK:
            raise ViewError("push_limit_reached")
        self._check_external_id(view)
        record = self._record(view, now, stack[0], stack[-1])
        self._owner[record["id"]] = user_id
        stack.append(record["id"])
        return record

    def update(self, view_id: str | None, external_id: str | None, view: dict,
               expected_hash: str | None, now: float) -> dict:
        """Replace a view's content in place; the id and position in the stack stay."""
        if not view_id and external_id:
            view_id = next((v["id"] for v in self._views.values()
                            if v["external_id"] == external_id), None)
        current = self._views.get(view_id or "")
        if current is None:
            raise ViewError("not_found")
        if expected_hash and expected_hash != current["hash"]:
            raise ViewError("hash_conflict")
        record = self._record(view, now, current["root_view_id"], current["previous_view_id"],
                              view_id=current["id"])
        record["external_id"] = record["external_id"] or current["external_id"]
        self.errors.pop(current["id"], None)
        return record

    def get(self, view_id: str) -> dict | None:
        """Return a view by id."""
        return self._views.get(view_id)

    def owner(self, view_id: str) -> str | None:
        """Return the user whose screen shows the view."""
        return self._owner.get(view_id)

    def stack(self, user_id: str) -> list[dict]:
        """Return the user's open views, bottom first."""
        return [self._views[v] for v in self._stacks.get(user_id, []) if v in self._views]

    def top(self, user_id: str) -> dict | None:
        """Return the view the user currently sees, if any."""
        stack = self.stack(user_id)
        return stack[-1] if stack else None

    def close(self, user_id: str, view_id: str) -> None:
        """Close one view (and those above it) for the user."""
        stack = self._stacks.get(user_id, [])
        if view_id in stack:
            del stack[stack.index(view_id):]
        self.errors.pop(view_id, None)

    def clear(self, user_id: str) -> None:
        """Close the user's whole modal stack."""
        for view_id in self._stacks.pop(user_id, []):
            self.errors.pop(view_id, None)

    def _check_external_id(self, view: dict) -> None:
        ext = view.get("external_id")
        if ext and any(v["external_id"] == ext for v in self._views.values()):
            raise ViewError("duplicate_external_id")
