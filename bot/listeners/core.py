"""Core commands: help."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot import ids
from bot.commands import CommandContext, StaticReply, Subcommand

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


def register(app: "AsyncApp", deps: "Deps") -> None:
    """Register `/ops help` and its family buttons."""

    cache: dict[str | None, StaticReply] = {}

    def cached_help(family: str | None) -> StaticReply:
        # The command list is fixed once the app is built, so help renders once per family.
        if family not in cache:
            cache[family] = StaticReply(deps.render("core/help", help_context(deps, family)))
        return cache[family]

    async def help_cmd(ctx: CommandContext):
        family = ctx.args[0].lower() if ctx.args else None
        if family and family not in {c.family for c in deps.router.commands()}:
            family = None
        return cached_help(family)

    deps.router.add(Subcommand(name="help", summary="List every command with an example",
                               usage="help [family]", example="/ops help", handler=help_cmd,
                               aliases=("?",), instant=True))

    @app.action(re.compile(r"^" + re.escape(ids.HELP_OPEN)))
    async def open_family(ack, body, respond):
        await ack()
        family = body["actions"][0].get("value") or None
        await respond(**deps.render("core/help", help_context(deps, family)), replace_original=True)
