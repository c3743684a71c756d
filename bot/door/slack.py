"""Read a Slack request body at the door: parse it with bounded nesting, name its payload type,
and check it against that type's schema (bot/door/schemas.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from pydantic import ValidationError

from bot.door.schemas import SCHEMAS
from engine.core.jsonbound import loads_bounded


class BadPayload(ValueError):
    """A body that is not one of the Slack payloads we accept; the message says why."""


def _decode(body: str, content_type: str | None) -> dict[str, Any]:
    """Parse a form, a form's `payload` JSON, or a JSON body, with nesting bounded first."""
    if content_type == "application/json" or body.startswith("{"):
        parsed = loads_bounded(body)
    else:
        form = dict(parse_qsl(body, keep_blank_values=True))
        parsed = loads_bounded(form["payload"]) if "payload" in form else form
    if not isinstance(parsed, dict):
        raise BadPayload("the body must be a form or a JSON object")
    return parsed


def payload_kind(parsed: dict[str, Any]) -> str:
    """Name the payload type of a parsed body, raising BadPayload when it is none we accept."""
    if "ssl_check" in parsed and "command" not in parsed:
        return "ssl_check"
    if "command" in parsed:
        return "command"
    kind = parsed.get("type")
    if not isinstance(kind, str) or not kind:
        raise BadPayload("neither a slash command nor a payload with a type")
    if kind not in SCHEMAS:
        raise BadPayload(f"payload type {kind[:40]!r} is not one Opsbot accepts")
    return kind


def _reason(exc: ValidationError) -> str:
    """Say in one short line which field was wrong and how."""
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "body"
    return f"{where}: {first.get('msg', 'invalid')}"[:200]


def read_slack_body(body: str, content_type: str | None) -> tuple[str, dict[str, Any]]:
    """Return (payload type, parsed body) of a Slack request, or raise BadPayload saying why."""
    try:
        parsed = _decode(body, content_type)
    except BadPayload:
        raise
    except (ValueError, RecursionError) as exc:  # json errors and TooDeep are ValueErrors
        raise BadPayload(f"could not parse the request body: {str(exc)[:120]}") from None
    kind = payload_kind(parsed)
    try:
        SCHEMAS[kind].model_validate(parsed)
    except ValidationError as exc:
        raise BadPayload(f"{kind}: {_reason(exc)}") from None
    return kind, parsed

