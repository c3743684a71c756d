"""The `/ops` subcommand registry: what a subcommand is and how command words resolve to one."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Awaitable, Callable


Reply = dict[str, Any]  # {"text", "blocks", "response_type"}
# A subcommand handler: takes a bot.commands.CommandContext (typed there, as Handler, so this
# module stays below bot.deps) and returns a reply or None.
AnyHandler = Callable[[Any], Awaitable["Reply | None"]]


class StaticReply(dict):
    """A reply that is the same every time (help): dispatch encodes its ack body only once."""

    ack_body: str | None = None  # the JSON Bolt's ack built for it the first time


@dataclass(frozen=True)
class Subcommand:
    """One `/ops <name>` subcommand with its help line."""

    name: str
    summary: str
    usage: str
    example: str
    handler: AnyHandler
    family: str = "core"
    aliases: tuple[str, ...] = ()
    # True when the handler never waits on I/O (it answers from memory): it is awaited in place
    # instead of in its own task under the inline budget, which costs more than the handler.
    instant: bool = False
    # The most words it reads after its name (None: free text, e.g. a reason): more is a mistake
    # the person is told about, not a silently ignored word.
    max_args: int | None = None

    def extra_args(self, args: list[str]) -> list[str]:
        """Return the words past the most this subcommand reads."""
        return [] if self.max_args is None else args[self.max_args:]


class Router:
    """Holds every subcommand and resolves command text to one of them."""

    def __init__(self) -> None:
        self._commands: dict[str, Subcommand] = {}
        self._names: dict[str, str] = {}

    def add(self, cmd: Subcommand) -> None:
        """Register a subcommand; names and aliases must be unique."""
        for name in (cmd.name, *cmd.aliases):
            if name in self._names:
                raise ValueError(f"subcommand {name!r} registered twice")
            self._names[name] = cmd.name
        self._commands[cmd.name] = cmd

    def commands(self) -> list[Subcommand]:
        """Return subcommands in registration order."""
        return list(self._commands.values())

    def resolve(self, words: list[str]) -> tuple[Subcommand | None, list[str], list[str]]:
        """Return (subcommand, remaining args, suggestions when not found)."""
        if not words:
            return self._commands.get("help"), [], []
        head = words[0].lower()
        if head in self._names:
            return self._commands[self._names[head]], words[1:], []
        return None, words[1:], difflib.get_close_matches(head, list(self._names), n=3, cutoff=0.5)
