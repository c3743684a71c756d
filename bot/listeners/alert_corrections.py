"""Split… and Merge into… on incident messages: open the form, submit the correction."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from bot.commands import actor_from_body, parse_incident_id
from bot.errors import error_reply
from engine.actor import Actor
from engine.errors import Conflict, InvalidInput, OpsError, Unavailable

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.deps import Deps

# action_ids of the incident message's buttons (templates/slack/alerts/incident.json.j2) and
# callback_ids of their forms.
SPLIT, MERGE = "alerts.split", "alerts.merge"
SPLIT_FORM, MERGE_FORM = "alerts.split_form", "alerts.merge_form"


def _meta(body: dict[str, Any]) -> dict[str, Any]:
    """Read the form's private_metadata (ours, but it travels through the client): fail closed."""
    try:
        meta = json.loads(body["view"]["private_metadata"])
        return {"incident": parse_incident_id(str(meta["incident"])), "channel": str(meta.get("channel") or "")}
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput("the form's metadata is not Opsbot's", hint="open the form again") from exc


def _picked(body: dict[str, Any], block: str) -> list[str]:
    state = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    field = (state.get(block) or {}).get("pick") or {}
    if "selected_options" in field:
        return [str(o.get("value", "")) for o in field.get("selected_options") or []]
    option = field.get("selected_option")
    return [str(option.get("value", ""))] if option else []


def register(app: "AsyncApp", deps: "Deps") -> None:
    """Register the Split… and Merge into… buttons and their forms."""

    def fixes() -> Any:
        if deps.engine.corrections is None:
            raise Unavailable("grouping corrections are not available in this engine")
        return deps.engine.corrections

    async def open_form(body: dict[str, Any], client: Any, callback: str, template: str,
                        ctx: dict[str, Any], incident_id: int) -> None:
        msg = deps.render(template, ctx)
        channel = (body.get("channel") or {}).get("id") or ""
        view = {"type": "modal", "callback_id": callback,
                # Strings only: the door refuses any other metadata as not ours.
                "private_metadata": json.dumps({"incident": str(incident_id), "channel": channel[:80]}),
                "title": {"type": "plain_text", "text": msg["title"]},
                "close": {"type": "plain_text", "text": msg["close"]}, "blocks": msg["blocks"]}
        if msg.get("submit"):
            view["submit"] = {"type": "plain_text", "text": msg["submit"]}
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.action(SPLIT)
    async def on_split(ack, body, client):  # noqa: ANN001 - Bolt injects by name
        await ack()
        incident_id = parse_incident_id(body["actions"][0]["value"])
        form = await fixes().split_form(incident_id)
        if not form.incident.is_open:
            raise Conflict(f"incident #{incident_id} is resolved; only open incidents can be split")
        await open_form(body, client, SPLIT_FORM, "alerts/split_modal", {
            "incident": {"id": form.incident.id, "title": form.incident.title},
            "choices": [asdict(c) for c in form.choices], "grouped": form.grouped, "more": form.more}, incident_id)

    @app.action(MERGE)
    async def on_merge(ack, body, client):
        await ack()
        incident_id = parse_incident_id(body["actions"][0]["value"])
        inc, targets = await fixes().merge_targets(incident_id)
        if not inc.is_open:
            raise Conflict(f"incident #{incident_id} is resolved; only open incidents can be merged")
        await open_form(body, client, MERGE_FORM, "alerts/merge_modal", {
            "incident": {"id": inc.id, "title": inc.title},
            "targets": [{"id": t.id, "title": t.title} for t in targets]}, incident_id)

    async def submit(ack: Any, body: dict[str, Any], client: Any, block: str,
                     act: Callable[[dict[str, Any], Actor], Awaitable[Any]]) -> None:
        try:
            meta = _meta(body)
            await act(meta, actor_from_body(body))
        except InvalidInput as exc:
            # Shown under the field; the form stays open to fix the choice.
            await ack(response_action="errors", errors={block: exc.message[:150]})
            return
        except OpsError as exc:
            # Not something the form can fix (policy, a resolved incident): close it and say why.
            await ack()
            channel = (json.loads(body["view"].get("private_metadata") or "{}") or {}).get("channel")
            if channel:
                reply = error_reply(exc, deps.metrics)
                await client.chat_postEphemeral(channel=channel, user=body["user"]["id"],
                                                text=reply["text"], blocks=reply.get("blocks"))
            return
        await ack()  # the cards and their threads change through the outbox

    @app.view(SPLIT_FORM)
    async def on_split_submit(ack, body, client):
        await submit(ack, body, client, "alerts",
                     lambda meta, actor: fixes().split(meta["incident"], _picked(body, "alerts"), actor))

    @app.view(MERGE_FORM)
    async def on_merge_submit(ack, body, client):
        async def merge(meta: dict[str, Any], actor: Actor) -> Any:
            picked = _picked(body, "target")
            if not picked:
                raise InvalidInput("pick the incident to merge into")
            return await fixes().merge(meta["incident"], parse_incident_id(picked[0]), actor)
        await submit(ack, body, client, "target", merge)
