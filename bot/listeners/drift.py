"""`/ops drift <model> [--window 24h]` and the drift buttons: Show all features, Compare another
window (a modal). Roll back and Run runbook are handled by the models and runbooks families."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.commands import CommandContext, Subcommand, actor_from_body
from bot.errors import error_reply
from engine.core.bounds import parse_int
from engine.drift.config import parse_duration
from engine.drift.messages import COMPARE, COMPARE_MODAL, SHOW_ALL
from engine.errors import InvalidInput, OpsError

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.deps import Deps

USAGE = "drift [<model> [--window 24h]]"


def parse_drift(args: list[str]) -> tuple[str | None, str | None]:
    """Parse `<model> [--window 24h | -w 24h | --window=24h]`."""
    model = window = None
    rest = list(args)
    while rest:
        word = rest.pop(0)
        if word in ("--window", "-w"):
            if not rest:
                raise InvalidInput("--window needs a value", hint="e.g. /ops drift churn --window 24h")
            window = rest.pop(0)
        elif word.startswith("--window="):
            window = word.split("=", 1)[1]
        elif model is None and not word.startswith("-"):
            model = word
        else:
            raise InvalidInput(f"could not read `{word}`", hint=f"usage: /ops {USAGE}")
    if window is not None:
        parse_duration(window)
    return model, window


def register(app: "AsyncApp", deps: "Deps") -> None:
    """Register `/ops drift` and the drift buttons and modal."""

    def svc() -> Any:
        return deps.engine.drift

    async def drift_cmd(ctx: CommandContext):
        model, window = parse_drift(ctx.args)
        if model is None:
            return deps.render("drift/list", {"models": await _listing(svc())})
        result = await svc().check(model, ctx.actor, window)
        return deps.render("drift/summary", result.context, ephemeral=False)

    deps.router.add(Subcommand(name="drift", summary="Did a model's data drift? Verdict, drivers and trends",
                               usage=USAGE, example="/ops drift churn --window 24h", handler=drift_cmd,
                               family="drift"))

    @app.action(SHOW_ALL)
    async def on_show_all(ack, body, client):  # noqa: ANN001 - Bolt injects by name
        await ack()
        msg = deps.render("drift/features", await svc().features(parse_int(body["actions"][0]["value"], "drift check id")))
        channel = body["channel"]["id"]
        ts = (body.get("container") or {}).get("message_ts") or body["message"]["ts"]
        await client.chat_postMessage(channel=channel, thread_ts=ts, text=msg["text"], blocks=msg["blocks"])

    @app.action(COMPARE)
    async def on_compare(ack, body, client):
        await ack()
        model = body["actions"][0]["value"]
        spec = svc().spec(model)
        msg = deps.render("drift/compare_modal", {"model": model, "window": spec.current.window})
        channel = (body.get("channel") or {}).get("id") or svc().channel_for(model)
        await client.views_open(trigger_id=body["trigger_id"], view={
            "type": "modal", "callback_id": COMPARE_MODAL,
            "private_metadata": json.dumps({"model": model, "channel": channel}),
            "title": {"type": "plain_text", "text": msg["title"]},
            "submit": {"type": "plain_text", "text": msg["submit"]},
            "close": {"type": "plain_text", "text": msg["close"]}, "blocks": msg["blocks"]})

    @app.view(COMPARE_MODAL)
    async def on_compare_submit(ack, body, client):
        meta = json.loads(body["view"]["private_metadata"])
        window = ((body["view"]["state"]["values"].get("window") or {}).get("value") or {}).get("value") or ""
        try:
            parse_duration(window.strip())
        except InvalidInput as exc:  # shown under the field; the modal stays open to fix it
            await ack(response_action="errors", errors={"window": exc.message[:150]})
            return
        await ack()
        user = body["user"]["id"]
        try:
            result = await svc().check(meta["model"], actor_from_body(body), window.strip(), trigger="compare")
        except OpsError as exc:  # no response_url for a modal: tell the person where they clicked
            reply = error_reply(exc, deps.metrics)
            await client.chat_postEphemeral(channel=meta["channel"], user=user, text=reply["text"],
                                            blocks=reply["blocks"])
            return
        msg = deps.render("drift/summary", result.context, ephemeral=False)
        await client.chat_postMessage(channel=meta["channel"], text=msg["text"], blocks=msg["blocks"])


async def _listing(service: Any) -> list[dict[str, Any]]:
    out = []
    for name in service.models():
        spec = service.spec(name)
        last = next(iter(await service.recent(name, 1)), None)
        verdict = last_at = None
        if last is not None:  # the time goes to the template as a date token: each reader's own zone
            verdict = "could not run" if not last.ok else "drift" if last.dataset_drift else "no drift"
            last_at = last.created_at.isoformat()
        out.append({"name": name, "window": spec.current.window if spec.current.time_column else "all rows",
                    "interval": spec.interval, "channel": service.channel_for(name), "last": verdict,
                    "last_at": last_at})
    return out
