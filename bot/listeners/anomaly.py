"""Metric watches: `/ops watches`, `/ops watch mute|unmute <name>`, and the anomaly feedback buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.commands import CommandContext, Subcommand, actor_from_body
from engine.anomaly.watches.evidence import NOT_ANOMALY, USEFUL
from engine.errors import InvalidInput

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.deps import Deps


def register(app: "AsyncApp", deps: "Deps") -> None:
    """Register the watch subcommands and the feedback buttons."""

    def svc() -> Any:
        return deps.engine.watches

    async def watches_cmd(ctx: CommandContext):
        return deps.render("anomaly/watches", {"watches": await svc().statuses()})

    async def watch_cmd(ctx: CommandContext):
        if len(ctx.args) != 2 or ctx.args[0] not in ("mute", "unmute"):
            raise InvalidInput("mute or unmute which watch?", hint="usage: /ops watch mute|unmute <name>")
        done = await svc().set_muted(ctx.args[1], ctx.args[0] == "mute", ctx.actor)
        return deps.render("anomaly/watch_muted", done, ephemeral=False)

    for name, summary, usage, example, fn in [
        ("watches", "List metric watches: status, last score, last run, muted", "watches", "/ops watches",
         watches_cmd),
        ("watch", "Mute or unmute a metric watch (it keeps learning)", "watch mute|unmute <name>",
         "/ops watch mute checkout-latency", watch_cmd),
    ]:
        deps.router.add(Subcommand(name=name, summary=summary, usage=usage, example=example, handler=fn,
                                   family="anomaly", max_args=0 if name == "watches" else 2))

    async def on_feedback(kind: str, ack, body, respond) -> None:  # noqa: ANN001 - Bolt objects
        await ack()
        done = await svc().feedback(body["actions"][0]["value"], kind, actor_from_body(body))
        await respond(**{k: v for k, v in deps.render("anomaly/feedback", done).items()},
                      replace_original=False)

    @app.action(NOT_ANOMALY)
    async def on_not_anomaly(ack, body, respond):  # noqa: ANN001 - Bolt injects by name
        await on_feedback("not_anomaly", ack, body, respond)

    @app.action(USEFUL)
    async def on_useful(ack, body, respond):
        await on_feedback("useful", ack, body, respond)
