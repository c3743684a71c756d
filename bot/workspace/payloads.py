"""Build the bodies Slack sends to apps: slash commands, block_actions, view payloads."""

from __future__ import annotations

import copy
from typing import Any

from .api_chat import public
from .blocks import interactive_elements
from .config import SeedUser
from .state import Channel, Workspace

SELECTED_KEY = {
    "users_select": "selected_user", "conversations_select": "selected_conversation",
    "channels_select": "selected_channel", "datepicker": "selected_date",
    "timepicker": "selected_time",
}


def slash_form(ws: Workspace, user: SeedUser, channel: Channel, text: str,
               response_url: str, trigger_id: str) -> dict[str, str]:
    """Return the form fields of a slash command, in Slack's order."""
    cfg = ws.config
    return {
        "token": cfg.verification_token, "team_id": cfg.team_id,
        "team_domain": cfg.team_domain, "channel_id": channel.id,
        "channel_name": channel.name, "user_id": user.id, "user_name": user.name,
        "command": cfg.command, "text": text, "api_app_id": cfg.app_id,
        "is_enterprise_install": "false", "response_url": response_url,
        "trigger_id": trigger_id,
    }


def user_ref(ws: Workspace, user: SeedUser) -> dict[str, str]:
    """Return the `user` object of an interaction payload."""
    return {"id": user.id, "username": user.name, "name": user.name,
            "team_id": ws.config.team_id}


def envelope(ws: Workspace, kind: str, user: SeedUser, trigger_id: str | None) -> dict:
    """Return the fields every interaction payload shares."""
    body: dict[str, Any] = {
        "type": kind, "user": user_ref(ws, user), "api_app_id": ws.config.app_id,
        "token": ws.config.verification_token,
        "team": {"id": ws.config.team_id, "domain": ws.config.team_domain},
        "enterprise": None, "is_enterprise_install": False,
    }
    if trigger_id:
        body["trigger_id"] = trigger_id
    return body


def find_element(blocks: list | None, action_id: str, block_id: str | None = None,
                 value: str | None = None) -> tuple[dict, dict]:
    """Find the interactive element a click targets; raise LookupError/ValueError."""
    found = [(b, el) for b, el in interactive_elements(blocks)
             if el.get("action_id") == action_id
             and (block_id is None or b.get("block_id") == block_id)]
    if value is not None and len(found) > 1:
        # Lists of rows often share an action_id; the button's value picks the row.
        by_value = [(b, el) for b, el in found if el.get("value") == value]
        found = by_value or found
    if not found:
        raise LookupError(f"no element with action_id {action_id!r}")
    if len({id(b) for b, _ in found}) > 1:
        raise ValueError(f"action_id {action_id!r} is in several blocks; pass block_id")
    return found[0]


def _options(el: dict) -> list[dict]:
    flat = list(el.get("options") or [])
    for group in el.get("option_groups") or []:
        flat.extend(group.get("options") or [])
    return flat


def _option(el: dict, value: str) -> dict:
    for opt in _options(el):
        if opt.get("value") == value:
            return copy.deepcopy(opt)
    raise LookupError(f"no option {value!r} in {el.get('action_id')!r}")


def initial_value(el: dict) -> Any:
    """Return the value an element shows before anyone touches it (its `initial_*`), or None."""
    if el.get("initial_option"):
        return el["initial_option"].get("value")
    if el.get("initial_options"):
        return [o.get("value") for o in el["initial_options"]]
    for key in ("initial_value", "initial_date", "initial_time", "initial_user", "initial_channel",
                "initial_conversation", "initial_users", "initial_channels", "initial_conversations"):
        if el.get(key) not in (None, "", []):
            return el[key]
    return None


def element_state(el: dict, value: Any) -> dict[str, Any]:
    """Return the state entry Slack reports for an element set to `value`."""
    kind = el["type"]
    state: dict[str, Any] = {"type": kind}
    if kind in ("static_select", "overflow", "radio_buttons"):
        state["selected_option"] = _option(el, value) if value not in (None, "") else None
    elif kind in ("multi_static_select", "checkboxes"):
        values = value if isinstance(value, (list, tuple)) else ([value] if value else [])
        state["selected_options"] = [_option(el, v) for v in values]
    elif kind in SELECTED_KEY:
        state[SELECTED_KEY[kind]] = value or None
    else:
        state["value"] = value if value not in ("",) else None
    return state


def action_entry(ws: Workspace, block: dict, el: dict, value: Any) -> dict[str, Any]:
    """Return one entry of a block_actions payload's `actions` list."""
    entry: dict[str, Any] = {"action_id": el.get("action_id"), "block_id": block.get("block_id"),
                             "type": el["type"], "action_ts": ws.next_ts()}
    if el["type"] == "button":
        entry["text"] = copy.deepcopy(el.get("text"))
        if el.get("value") is not None:
            entry["value"] = el["value"]
        if el.get("style"):
            entry["style"] = el["style"]
    else:
        entry.update({k: v for k, v in element_state(el, value).items() if k != "type"})
        if el.get("placeholder"):
            entry["placeholder"] = el["placeholder"]
    return entry


def block_actions(ws: Workspace, user: SeedUser, channel: Channel, msg: dict, ephemeral: bool,
                  action: dict, trigger_id: str, response_url: str) -> dict[str, Any]:
    """Return the payload of a click on a message (ephemeral messages carry no `message`)."""
    body = envelope(ws, "block_actions", user, trigger_id)
    body["container"] = {"type": "message", "message_ts": msg["ts"], "channel_id": channel.id,
                         "is_ephemeral": ephemeral}
    if msg.get("thread_ts"):
        body["container"]["thread_ts"] = msg["thread_ts"]
    body["channel"] = {"id": channel.id, "name": channel.name}
    if not ephemeral:
        body["message"] = public(msg)
    body["state"] = {"values": {}}
    body["response_url"] = response_url
    body["actions"] = [action]
    return body


def view_payload(ws: Workspace, kind: str, user: SeedUser, view: dict,
                 trigger_id: str | None) -> dict[str, Any]:
    """Return a view_submission, view_closed or modal block_actions payload."""
    body = envelope(ws, kind, user, trigger_id)
    body["view"] = copy.deepcopy(view)
    if kind == "view_submission":
        body["response_urls"] = []
    if kind == "view_closed":
        body["is_cleared"] = False
    if kind == "block_actions":
        body["container"] = {"type": "view", "view_id": view["id"]}
    return body


def view_state(view: dict, values: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Turn `{block_id: value}` (or Slack-shaped state) into `view.state.values`."""
    values = values or {}
    state: dict[str, dict[str, Any]] = {}
    for block, el in interactive_elements(view.get("blocks")):
        if block.get("type") != "input":
            continue
        # Like Slack, a field the user did not touch submits its initial value.
        given = values[block["block_id"]] if block["block_id"] in values else initial_value(el)
        if isinstance(given, dict) and el["action_id"] in given:
            entry = given[el["action_id"]]  # already Slack-shaped
        else:
            if given in (None, "", []) and not block.get("optional"):
                label = (block.get("label") or {}).get("text", block["block_id"])
                raise ValueError(f"required field {label!r} is empty")
            entry = element_state(el, given)
        state[block["block_id"]] = {el["action_id"]: entry}
    return state
