"""`/ops auto report|pause|resume|promote|demote|rearm`: auto-remediation triggers and the kill switch."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from bot.commands import CommandContext, Subcommand, parse_days
from engine.errors import InvalidInput, Unavailable

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.deps import Deps

USAGE = "auto report [30d] | auto pause [reason] | auto resume | auto promote|demote|rearm <trigger>"


def register(app: "AsyncApp", deps: "Deps") -> None:
    """Register `/ops auto`."""

    def svc() -> Any:
        if deps.engine.auto is None:
            raise Unavailable("auto-remediation is not built in this engine")
        return deps.engine.auto

    async def auto_cmd(ctx: CommandContext):
        from engine.auto.modes import request_mode
        from engine.auto.report import report

        verb, rest = (ctx.args[0], ctx.args[1:]) if ctx.args else ("report", [])
        if verb == "report":
            rep = await report(svc(), parse_days(rest, 30))
            return deps.render("auto/report", asdict(rep))
        if verb in ("pause", "resume"):
            row = await svc().switch.set(ctx.actor, verb == "pause", " ".join(rest)[:500])
            return deps.render("core/notice", {"title": f"Auto-remediation {'paused' if row.paused else 'resumed'}",
                                               "text": "Announced in the channel and audited.", "severity": "ok"})
        if verb in ("promote", "demote", "rearm"):
            if len(rest) != 1:
                raise InvalidInput(f"which trigger? usage: /ops auto {verb} <runbook/trigger>")
            req = await request_mode(svc(), ctx.actor, rest[0], "shadow" if verb == "demote" else "auto")
            return deps.render("core/notice", {"title": f"Requested: {req.title} (#{req.id})",
                                               "text": "It takes effect once approved; the approval message is "
                                                       "in the channel.", "severity": "info"})
        raise InvalidInput(f"unknown `/ops auto` command {verb!r}", hint=f"usage: /ops {USAGE}")

    deps.router.add(Subcommand(name="auto", summary="Auto-remediation: shadow report, kill switch, trigger modes",
                               usage=USAGE, example="/ops auto report 30d", handler=auto_cmd, family="runbooks"))
