"""What `/ops` subcommand handlers get (CommandContext) and the parsing helpers they share."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from bot.router import Reply, Router, StaticReply, Subcommand
from engine.actor import Actor
from engine.core.bounds import PERIOD_DAYS_MAX, parse_int
from engine.errors import InvalidInput

if TYPE_CHECKING:
    from bot.deps import Deps

__all__ = ["CommandContext", "Handler", "Reply", "Router", "StaticReply", "Subcommand", "actor_from_body",
           "parse_days", "parse_incident_id", "split_words"]

Handler = Callable[["CommandContext"], Awaitable[Reply | None]]


@dataclass
class CommandContext:
    """What a subcommand handler gets: who, where, the words, and the bot's dependencies."""

    deps: "Deps"
    actor: Actor
    command: str
    args: list[str]
    text: str
    channel_id: str
    user_id: str
    trigger_id: str | None
    respond: Callable[..., Awaitable[Any]]
    client: Any
    body: dict[str, Any] = field(default_factory=dict)


# Text without these splits the same with str.split() as with shlex (ASCII only: str.split()
# also breaks on Unicode spaces, shlex only on " \t\r\n").
_SHELL_SPECIAL = re.compile(r"[\"'\\\x0b\x0c\x1c-\x1f]")


def split_words(text: str) -> list[str]:
    """Split command text like a shell would, but never fail on an unbalanced quote."""
    if text.isascii() and not _SHELL_SPECIAL.search(text):
        return text.split()
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2018", "'").replace("\u2019", "'")
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise InvalidInput(f"could not read the command: {exc}", hint="close the quotes and try again") from exc


def actor_from_body(body: dict[str, Any]) -> Actor:
    """Build the Actor of a slash command or interaction payload."""
    user = body.get("user") or {}
    user_id = body.get("user_id") or user.get("id") or ""
    name = body.get("user_name") or user.get("username") or user.get("name") or user_id
    return Actor(user_id=user_id, name=name)


def parse_incident_id(text: str) -> int:
    """Read an incident id such as `42` or `#42`, or say what was wrong."""
    return parse_int(str(text).strip().removeprefix("#"), "incident id", hint="incident ids are numbers, e.g. 42")


def parse_days(args: list[str], default: int) -> int:
    """Read an optional period such as `7d` or `30` from the first argument."""
    if not args:
        return default
    return parse_int(args[0].removesuffix("d"), "period (days)", hi=PERIOD_DAYS_MAX, hint="use e.g. 7d or 30d")
