"""Incident command: "Open incident channel", "Postmortem" and `/ops postmortem <id>`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.commands import CommandContext, Subcommand, actor_from_body, parse_incident_id
from bot.warroom import IncidentChannelOpener, share_postmortem
from engine.errors import InvalidInput, Unavailable
from engine.warroom.service import OPEN, OPEN_CHANNEL, POSTMORTEM

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.deps import Deps


def register(app: "AsyncApp", deps: "Deps") -> None:
    """Register the incident channel and postmortem buttons and the postmortem command."""

    def opener(client: Any) -> IncidentChannelOpener:
        return IncidentChannelOpener(deps.engine, client)

    async def postmortem_cmd(ctx: CommandContext):
        if not ctx.args:
            raise InvalidInput("which incident?", hint="usage: /ops postmortem <incident id>")
        shared = await share_postmortem(deps.engine, ctx.client, parse_incident_id(ctx.args[0]), ctx.channel_id)
        where = "in the incident's thread" if shared["thread_ts"] else "here"
        return {"text": f"Posted the postmortem draft {where}.", "response_type": "ephemeral"}

    deps.router.add(Subcommand(
        name="postmortem", summary="Draft a postmortem from an incident's timeline, hypotheses and todo notes",
        usage="postmortem <incident id>", example="/ops postmortem 1", handler=postmortem_cmd, family="alerts",
        max_args=1))

    # Creating a channel takes several Web API calls: ack first; the card edits say the rest.
    @app.action(OPEN_CHANNEL)
    async def on_open_channel(ack, body, client, respond):  # noqa: ANN001 - Bolt injects by name
        await ack()
        rooms = deps.engine.incident_channels
        if rooms is None:
            raise Unavailable("incident channels are not configured")
        incident_id = parse_incident_id(body["actions"][0]["value"])
        row, fresh = await rooms.request(incident_id, actor_from_body(body))
        if not fresh and row.state == OPEN:
            await respond(text=f"Incident #{incident_id} already has a channel: <#{row.channel_id}>",
                          response_type="ephemeral", replace_original=False)
            return
        if not fresh:
            await respond(text=f"The channel of incident #{incident_id} is being created.",
                          response_type="ephemeral", replace_original=False)
            return
        await opener(client).open(incident_id)

    @app.action(POSTMORTEM)
    async def on_postmortem(ack, body, client):
        await ack()
        channel = (body.get("channel") or {}).get("id")
        await share_postmortem(deps.engine, client, parse_incident_id(body["actions"][0]["value"]), channel)
