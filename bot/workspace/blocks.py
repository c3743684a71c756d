"""Block Kit validation: slack_sdk's models plus the limits Slack enforces and slack_sdk misses.

Errors read like Slack's own: `"<problem> [json-pointer:/blocks/0/text/text]"`.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

MESSAGE_BLOCK_LIMIT = 50
MODAL_BLOCK_LIMIT = 100
KNOWN_BLOCKS = {
    "section", "header", "context", "divider", "image", "actions", "input",
    "rich_text", "video", "file", "call", "markdown",
}
INTERACTIVE = {
    "button", "static_select", "multi_static_select", "overflow", "datepicker", "timepicker",
    "datetimepicker", "checkboxes", "radio_buttons", "plain_text_input", "users_select",
    "multi_users_select", "conversations_select", "multi_conversations_select",
    "channels_select", "multi_channels_select", "external_select", "multi_external_select",
    "number_input", "email_text_input", "url_text_input", "rich_text_input", "workflow_button",
}
SELECTS_WITH_OPTIONS = {"static_select", "multi_static_select", "overflow", "checkboxes",
                        "radio_buttons"}

# slack_sdk logs a warning for unknown types; we report them as errors instead.
logging.getLogger("slack_sdk.models.blocks.blocks").setLevel(logging.ERROR)


class _Errors(list):
    """Collects Slack-style error strings."""

    def add(self, problem: str, pointer: str) -> None:
        """Record one problem at a JSON pointer."""
        self.append(f"{problem} [json-pointer:{pointer}]")


def _text(errs: _Errors, obj: Any, ptr: str, *, max_len: int, plain_only: bool = False,
          required: bool = True) -> None:
    if obj is None:
        if required:
            errs.add("missing required field: text", ptr)
        return
    if not isinstance(obj, dict):
        errs.add("must provide an object", ptr)
        return
    kind = obj.get("type")
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if kind not in allowed:
        errs.add(f"must be one of {', '.join(allowed)}", f"{ptr}/type")
    value = obj.get("text")
    if not isinstance(value, str) or not value:
        errs.add("must be more than 0 characters", f"{ptr}/text")
    elif len(value) > max_len:
        errs.add(f"must be less than {max_len + 1} characters", f"{ptr}/text")


def _confirm(errs: _Errors, conf: Any, ptr: str) -> None:
    if not isinstance(conf, dict):
        errs.add("must provide an object", ptr)
        return
    _text(errs, conf.get("title"), f"{ptr}/title", max_len=100, plain_only=True)
    _text(errs, conf.get("text"), f"{ptr}/text", max_len=300)
    _text(errs, conf.get("confirm"), f"{ptr}/confirm", max_len=30, plain_only=True)
    _text(errs, conf.get("deny"), f"{ptr}/deny", max_len=30, plain_only=True)


def _options(errs: _Errors, el: dict, ptr: str) -> None:
    opts = el.get("options")
    groups = el.get("option_groups")
    if opts is None and groups is None:
        errs.add("must provide either options or option_groups", ptr)
        return
    flat = list(opts or []) + [o for g in (groups or []) for o in g.get("options", [])]
    limit = 5 if el["type"] == "overflow" else 100
    if len(flat) > limit:
        errs.add(f"no more than {limit} items allowed", f"{ptr}/options")
    for i, opt in enumerate(opts or []):
        optr = f"{ptr}/options/{i}"
        if not isinstance(opt, dict):
            errs.add("must provide an object", optr)
            continue
        _text(errs, opt.get("text"), f"{optr}/text", max_len=75)
        value = opt.get("value")
        if not isinstance(value, str) or not value:
            errs.add("must be more than 0 characters", f"{optr}/value")
        elif len(value) > 150:
            errs.add("must be less than 151 characters", f"{optr}/value")


def _element(errs: _Errors, el: Any, ptr: str) -> None:
    if not isinstance(el, dict):
        errs.add("must provide an object", ptr)
        return
    kind = el.get("type")
    if kind not in INTERACTIVE and kind != "image":
        errs.add(f"unsupported type: {kind}", f"{ptr}/type")
        return
    action_id = el.get("action_id")
    if action_id is not None and (not isinstance(action_id, str) or len(action_id) > 255):
        errs.add("must be a string of at most 255 characters", f"{ptr}/action_id")
    if kind == "button":
        _text(errs, el.get("text"), f"{ptr}/text", max_len=75, plain_only=True)
        value = el.get("value")
        if value is not None and (not isinstance(value, str) or len(value) > 2000):
            errs.add("must be less than 2001 characters", f"{ptr}/value")
        if el.get("style") not in (None, "primary", "danger"):
            errs.add("must be one of primary, danger", f"{ptr}/style")
        if el.get("url") is not None and len(str(el["url"])) > 3000:
            errs.add("must be less than 3001 characters", f"{ptr}/url")
    elif kind == "image":
        if not el.get("image_url") and not el.get("slack_file"):
            errs.add("missing required field: image_url", ptr)
        if not el.get("alt_text"):
            errs.add("missing required field: alt_text", ptr)
    elif kind in SELECTS_WITH_OPTIONS:
        _options(errs, el, ptr)
    if "placeholder" in el:
        _text(errs, el["placeholder"], f"{ptr}/placeholder", max_len=150, plain_only=True)
    if "confirm" in el:
        _confirm(errs, el["confirm"], f"{ptr}/confirm")


def _block_rules(errs: _Errors, b: dict, ptr: str) -> None:
    kind = b["type"]
    if kind == "header":
        _text(errs, b.get("text"), f"{ptr}/text", max_len=150, plain_only=True)
    elif kind == "section":
        if b.get("text") is None and not b.get("fields"):
            errs.add("must provide either text or fields", ptr)
        if b.get("text") is not None:
            _text(errs, b["text"], f"{ptr}/text", max_len=3000)
        fields = b.get("fields") or []
        if len(fields) > 10:
            errs.add("no more than 10 items allowed", f"{ptr}/fields")
        for i, f in enumerate(fields):
            _text(errs, f, f"{ptr}/fields/{i}", max_len=2000)
        if b.get("accessory") is not None:
            _element(errs, b["accessory"], f"{ptr}/accessory")
    elif kind == "context":
        elements = b.get("elements") or []
        if not 1 <= len(elements) <= 10:
            errs.add("must provide between 1 and 10 elements", f"{ptr}/elements")
        for i, el in enumerate(elements):
            if isinstance(el, dict) and el.get("type") in ("plain_text", "mrkdwn"):
                _text(errs, el, f"{ptr}/elements/{i}", max_len=3000)
            else:
                _element(errs, el, f"{ptr}/elements/{i}")
    elif kind == "image":
        if not b.get("image_url") and not b.get("slack_file"):
            errs.add("missing required field: image_url", ptr)
        alt = b.get("alt_text")
        if not isinstance(alt, str) or not alt or len(alt) > 2000:
            errs.add("must be between 1 and 2000 characters", f"{ptr}/alt_text")
        if b.get("title") is not None:
            _text(errs, b["title"], f"{ptr}/title", max_len=2000, plain_only=True)
    elif kind == "actions":
        elements = b.get("elements") or []
        if not 1 <= len(elements) <= 25:
            errs.add("must provide between 1 and 25 elements", f"{ptr}/elements")
        seen: set[str] = set()
        for i, el in enumerate(elements):
            _element(errs, el, f"{ptr}/elements/{i}")
            aid = el.get("action_id") if isinstance(el, dict) else None
            if aid in seen:
                errs.add(f"duplicate action_id: {aid}", f"{ptr}/elements/{i}/action_id")
            if aid:
                seen.add(aid)
    elif kind == "input":
        _text(errs, b.get("label"), f"{ptr}/label", max_len=2000, plain_only=True)
        if b.get("element") is None:
            errs.add("missing required field: element", ptr)
        else:
            _element(errs, b["element"], f"{ptr}/element")


def validate_blocks(blocks: Any, *, modal: bool = False, root: str = "/blocks") -> list[str]:
    """Return Slack-style error strings for a blocks array (empty list when valid)."""
    errs = _Errors()
    if not isinstance(blocks, list):
        errs.add("must provide an array", root)
        return errs
    limit = MODAL_BLOCK_LIMIT if modal else MESSAGE_BLOCK_LIMIT
    if len(blocks) > limit:
        errs.add(f"no more than {limit} items allowed", root)
    block_ids: set[str] = set()
    for i, b in enumerate(blocks):
        ptr = f"{root}/{i}"
        if not isinstance(b, dict):
            errs.add("must provide an object", ptr)
            continue
        if b.get("type") not in KNOWN_BLOCKS:
            errs.add(f"unsupported type: {b.get('type')}", f"{ptr}/type")
            continue
        block_id = b.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or len(block_id) > 255:
                errs.add("must be a string of at most 255 characters", f"{ptr}/block_id")
            elif block_id in block_ids:
                errs.add(f"duplicate block_id: {block_id}", f"{ptr}/block_id")
            block_ids.add(str(block_id))
        before = len(errs)
        _block_rules(errs, b, ptr)
        if len(errs) == before:
            # slack_sdk's models catch what our table does not (e.g. rich_text shapes).
            try:
                parsed = Block.parse(b)
                if parsed is not None:
                    parsed.validate_json()
            except (SlackObjectFormationError, KeyError, TypeError, ValueError) as exc:
                errs.add(str(exc) or type(exc).__name__, ptr)
    return list(errs)


def validate_view(view: Any) -> list[str]:
    """Return Slack-style error strings for a modal view (empty list when valid)."""
    errs = _Errors()
    if not isinstance(view, dict):
        errs.add("must provide an object", "/view")
        return errs
    if view.get("type") != "modal":
        errs.add("must be modal", "/view/type")
    _text(errs, view.get("title"), "/view/title", max_len=24, plain_only=True)
    for key in ("submit", "close"):
        if view.get(key) is not None:
            _text(errs, view[key], f"/view/{key}", max_len=24, plain_only=True)
    blocks = view.get("blocks")
    if isinstance(blocks, list) and view.get("submit") is None:
        if any(isinstance(b, dict) and b.get("type") == "input" for b in blocks):
            errs.add("submit is required when input blocks are present", "/view/submit")
    if len(str(view.get("private_metadata", ""))) > 3000:
        errs.add("must be less than 3001 characters", "/view/private_metadata")
    if len(str(view.get("callback_id", ""))) > 255:
        errs.add("must be less than 256 characters", "/view/callback_id")
    errs.extend(validate_blocks(blocks, modal=True, root="/view/blocks"))
    return list(errs)


def fill_ids(blocks: list | None) -> list | None:
    """Give blocks without `block_id` and elements without `action_id` one, like Slack does."""
    if not isinstance(blocks, list):
        return blocks
    for b in blocks:
        if not isinstance(b, dict):
            continue
        b.setdefault("block_id", secrets.token_urlsafe(4))
        for el in _interactive_elements(b):
            el.setdefault("action_id", secrets.token_urlsafe(4))
    return blocks


def _interactive_elements(block: dict) -> list[dict]:
    kind = block.get("type")
    if kind == "actions":
        found = block.get("elements") or []
    elif kind == "section":
        found = [block["accessory"]] if block.get("accessory") else []
    elif kind == "input":
        found = [block["element"]] if block.get("element") else []
    else:
        found = []
    return [el for el in found if isinstance(el, dict) and el.get("type") in INTERACTIVE]


def interactive_elements(blocks: list | None) -> list[tuple[dict, dict]]:
    """Return `(block, element)` pairs for every interactive element, in order."""
    return [(b, el) for b in blocks or [] if isinstance(b, dict)
            for el in _interactive_elements(b)]
