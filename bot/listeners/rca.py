"""Root-cause hypotheses: the "Show hypotheses" button, Confirmed / Wrong, and `/ops rca`."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from bot.render import mrkdwn_escape
from bot.commands import CommandContext, Subcommand, actor_from_body, parse_days, parse_incident_id
from engine.core.bounds import parse_int
from engine.errors import InvalidInput
from engine.rca.messages import CONFIRM, SHOW, WRONG

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.deps import Deps


def _verdict_value(value: str) -> tuple[int, int]:
    head, sep, tail = (value or "").partition(":")
    if not sep:
        raise InvalidInput("this button does not name a hypothesis")
    return parse_int(head, "analysis id"), parse_int(tail, "hypothesis number")


def analysis_answer(incident_id: int, shown: int, likely_cause: str | None) -> str:
    """Word what `/ops rca <id>` did: what its thread now shows, never "Posted 0 hypotheses"."""
    if not shown:
        return f"Nothing to rank for incident #{incident_id} yet; its thread says why."
    noun = "hypothesis" if shown == 1 else "hypotheses"
    likely = f" Likely cause: {mrkdwn_escape(likely_cause)}." if likely_cause else " None is a likely cause yet."
    return f"Posted {shown} {noun} in the thread of incident #{incident_id}.{likely}"


def register(app: "AsyncApp", deps: "Deps") -> None:
    """Register `/ops rca` and the hypothesis buttons."""

    def svc() -> Any:
        return deps.engine.rca

    async def rca_cmd(ctx: CommandContext):
        if not ctx.args:
            raise InvalidInput("which incident?", hint="usage: /ops rca <incident id> | /ops rca stats [30d]")
        if ctx.args[0] == "stats":
            stats = await svc().stats(parse_days(ctx.args[1:], 30))
            return deps.render("rca/stats", asdict(stats) | {"accuracy_at_1": stats.accuracy_at_1,
                                                             "accuracy_at_3": stats.accuracy_at_3})
        if len(ctx.args) > 1:
            raise InvalidInput(f"`/ops rca` takes one incident id; left over: {' '.join(ctx.args[1:])!r}",
                               hint="usage: `/ops rca <incident id>` or `/ops rca stats [30d]`")
        row = await svc().analyse(parse_incident_id(ctx.args[0]), ctx.actor)
        return {"text": analysis_answer(row.incident_id, len(row.hypotheses), row.likely_cause),
                "response_type": "ephemeral"}

    deps.router.add(Subcommand(
        name="rca", summary="Rank root-cause hypotheses for an incident, or show their accuracy",
        usage="rca <incident id> | rca stats [30d]", example="/ops rca 1", handler=rca_cmd, family="alerts",
        max_args=2))

    # Ranking reads Prometheus, so each button acks first; the answer arrives in the thread
    # through the outbox, and OpsErrors reach the user through the one error handler.
    @app.action(SHOW)
    async def on_show(ack, body):  # noqa: ANN001 - Bolt injects by name
        await ack()
        await svc().analyse(parse_incident_id(body["actions"][0]["value"]), actor_from_body(body))

    @app.action(CONFIRM)
    async def on_confirm(ack, body):
        await ack()
        await svc().feedback(*_verdict_value(body["actions"][0]["value"]), "confirmed", actor_from_body(body))

    @app.action(WRONG)
    async def on_wrong(ack, body):
        await ack()
        await svc().feedback(*_verdict_value(body["actions"][0]["value"]), "wrong", actor_from_body(body))
