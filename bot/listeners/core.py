"""Core commands: help."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot import ids
from bot.commands import CommandContext, StaticReply, Subcommand
from engine.errors import InvalidInput

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.deps import Deps

FAMILY_TITLES = {
    "core": "General", "models": "Models", "drift": "Drift", "alerts": "Incidents",
    "anomaly": "Metric watches", "rca": "Root cause", "runbooks": "Runbooks", "admin": "Access and audit",
}


def help_context(deps: "Deps", family: str | None = None) -> dict:
    """Group subcommands by family for the help template."""
    groups: dict[str, list[dict]] = {}
    for cmd in deps.router.commands():
        if family and cmd.family != family:
            continue
        groups.setdefault(cmd.family, []).append(
            {"name": cmd.name, "summary": cmd.summary, "usage": cmd.usage, "example": cmd.example})
    return {"families": [{"id": f, "title": FAMILY_TITLES.get(f, f.title()), "commands": c}
                         for f, c in groups.items()],
            "family_filter": family}


def help_topic(deps: "Deps", word: str) -> str:
    """Return the family a help topic names: its id, a word of its title, or one of its commands."""
    word = word.lower().strip()
    commands = deps.router.commands()
    for family in dict.fromkeys(c.family for c in commands):
        title = FAMILY_TITLES.get(family, family).lower()
        names = {family, title, *title.split()} - {"and"}
        if word in names or word.rstrip("s") in {n.rstrip("s") for n in names}:
            return family
    for cmd in commands:
        if word == cmd.name or word in cmd.aliases:
            return cmd.family
    topics = ", ".join(FAMILY_TITLES.get(f, f).lower() for f in dict.fromkeys(c.family for c in commands))
    raise InvalidInput(f"there is no help on `{word}`", hint=f"try a topic ({topics}) or a command name")


def register(app: "AsyncApp", deps: "Deps") -> None:
    """Register `/ops help` and its family buttons."""

    cache: dict[str | None, StaticReply] = {}

    def cached_help(family: str | None) -> StaticReply:
        # The command list is fixed once the app is built, so help renders once per family.
        if family not in cache:
            cache[family] = StaticReply(deps.render("core/help", help_context(deps, family)))
        return cache[family]

    async def help_cmd(ctx: CommandContext):
        return cached_help(help_topic(deps, " ".join(ctx.args)) if ctx.args else None)

    deps.router.add(Subcommand(name="help", summary="List every command with an example",
                               usage="help [topic or command]", example="/ops help", handler=help_cmd,
                               aliases=("?",), instant=True))

    @app.action(re.compile(r"^" + re.escape(ids.HELP_OPEN)))
    async def open_family(ack, body, respond):
        await ack()
        family = body["actions"][0].get("value") or None
        await respond(**deps.render("core/help", help_context(deps, family)), replace_original=True)
