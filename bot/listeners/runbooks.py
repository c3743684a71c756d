"""Runbook commands (`/ops runbooks`, `/ops runbook`, `/ops run`) and the approval buttons."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.commands import actor_from_body
from bot.commands import CommandContext, Subcommand
from bot.errors import error_reply
from engine.approvals.view import APPROVE, CANCEL, REJECT, parse_button_value
from engine.core.bounds import parse_int
from engine.errors import InvalidInput, OpsError
from engine.runbooks import parse_args
from engine.runbooks.prefill import prefill

# The "Run…" button and its modal. Its value is the runbook's name (on /ops runbooks),
# {"runbook": name, "incident": id} (on an incident, so the modal can pre-fill from its alerts)
# or {"runbook": name, "values": {...}} (on a dry run: the modal opens with what was previewed).
OPEN_MODAL, MODAL_CALLBACK = "runbook.open", "runbook.run_modal"
MAX_BUTTON_VALUE = 2000  # Slack's limit on a button's value


def parse_open_value(value: str) -> tuple[str, int | None, dict[str, str]]:
    """Return (runbook name, incident id or None, values to pre-fill) from a Run… button's value."""
    if value.startswith("{"):
        try:
            doc = json.loads(value)
            incident = doc.get("incident")
            values = {str(k): str(v) for k, v in (doc.get("values") or {}).items()}
            return (str(doc["runbook"]), parse_int(str(incident), "incident id") if incident is not None else None,
                    values)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise InvalidInput("this Run… button carries a value I cannot read",
                               hint="open the runbook with `/ops runbooks` instead") from None
    return value, None, {}


def run_button_value(name: str, values: dict[str, str]) -> str:
    """Return the value of a dry run's "Run for real…" button (the name alone when values are too long)."""
    value = json.dumps({"runbook": name, "values": values}, separators=(",", ":"))
    return value if len(value) <= MAX_BUTTON_VALUE else json.dumps({"runbook": name})

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.deps import Deps


def _summary(lr: Any) -> dict[str, Any]:
    rb = lr.runbook
    return {"name": rb.name, "description": rb.description, "risk": rb.risk, "environment": rb.environment,
            "approval": rb.approval.model_dump() if rb.approval else None}


def _detail(lr: Any) -> dict[str, Any]:
    rb = lr.runbook
    return _summary(lr) | {
        "path": lr.path,
        "parameters": {k: {"type": p.type, "description": p.description, "default": p.default,
                           "allowed": p.allowed, "pattern": p.pattern} for k, p in rb.parameters.items()},
        "steps": [{"section": sec, "name": s.name, "type": s.type} for sec, s in rb.all_steps()]}


def take_env(lr: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Accept `env=<the runbook's environment>` as a person naming the target, refuse another environment.

    A runbook runs in the one environment it declares (its list line shows it), so people type it; a
    runbook that declares its own `env` parameter keeps it as that parameter.
    """
    rb = lr.runbook
    if "env" not in values or "env" in rb.parameters:
        return values
    rest = {k: v for k, v in values.items() if k != "env"}
    if str(values["env"]) != rb.environment:
        raise InvalidInput(f"runbook {rb.name} runs in {rb.environment}, not {values['env']}",
                           hint=f"leave env out, or say env={rb.environment}")
    return rest


def register(app: "AsyncApp", deps: "Deps") -> None:
    """Register the runbook subcommands and the Approve / Reject / Cancel buttons."""

    def svc() -> Any:
        return deps.engine.runbooks

    async def list_cmd(ctx: CommandContext):
        return deps.render("runbooks/list", {"runbooks": [_summary(lr) for lr in svc().list()]})

    async def show_cmd(ctx: CommandContext):
        if not ctx.args:
            raise InvalidInput("which runbook?", hint="`/ops runbooks` lists them")
        return deps.render("runbooks/show", _detail(svc().show(ctx.args[0])))

    async def run_cmd(ctx: CommandContext):
        if not ctx.args:
            raise InvalidInput("which runbook?", hint="usage: /ops run <name> key=value ... [--dry-run]")
        dry = "--dry-run" in ctx.args[1:]
        values = take_env(svc().show(ctx.args[0]), parse_args([a for a in ctx.args[1:] if a != "--dry-run"]))
        if dry:
            p = await svc().preview(ctx.actor, ctx.args[0], values)
            d = p.decision
            return deps.render("runbooks/preview", {
                "dry_run_only": True, "state": None, "id": None, "title": p.plan.title, "env": p.plan.env,
                "effect": d.effect, "approvals": d.approvals, "approver_roles": list(d.approver_roles),
                "channel": svc().channel, "reason": d.reason, "dry_run": p.plan.dry_run,
                "run_action_id": OPEN_MODAL, "run_value": run_button_value(ctx.args[0], values)})
        req = await svc().request(ctx.actor, ctx.args[0], values)
        return deps.render("runbooks/preview", {
            "dry_run_only": False, "state": req.state, "id": req.id, "title": req.title, "env": req.env,
            "effect": "approval" if req.required else "allow", "approvals": req.required,
            "approver_roles": list(req.approver_roles), "channel": req.channel, "reason": "",
            "dry_run": req.dry_run})

    router = deps.router
    router.add(Subcommand(name="runbooks", summary="List the runbooks", usage="runbooks",
                          example="/ops runbooks", handler=list_cmd, family="runbooks", max_args=0))
    router.add(Subcommand(name="runbook", summary="Show a runbook's description, parameters and steps",
                          usage="runbook <name>", example="/ops runbook restart-service",
                          handler=show_cmd, family="runbooks", max_args=1))
    router.add(Subcommand(name="run", summary="Run a runbook (dry-run preview, then approval if needed)",
                          usage="run <name> key=value ... [--dry-run]",
                          example="/ops run restart-service service=api --dry-run",
                          handler=run_cmd, family="runbooks"))

    async def _button(body: dict[str, Any], verb: str) -> None:
        request_id, digest = parse_button_value(body["actions"][0]["value"])
        approvals = deps.engine.approvals
        actor = actor_from_body(body)
        if verb == "approve":
            await approvals.approve(request_id, actor, digest)
        elif verb == "reject":
            await approvals.reject(request_id, actor, digest)
        else:
            await approvals.cancel(request_id, actor)

    # The message itself is edited through the outbox; refusals raise and the one error
    # handler shows them to the clicker only.
    @app.action(APPROVE)
    async def on_approve(ack, body):  # noqa: ANN001 - Bolt injects by name
        await ack()
        await _button(body, "approve")

    @app.action(REJECT)
    async def on_reject(ack, body):
        await ack()
        await _button(body, "reject")

    @app.action(CANCEL)
    async def on_cancel(ack, body):
        await ack()
        await _button(body, "cancel")

    async def _incident_labels(incident_id: int) -> list[dict[str, str]]:
        detail = await deps.engine.alerts.queries.incident(incident_id)
        firing = [a.labels for a in detail.alerts if a.status == "firing"]
        return firing or [a.labels for a in detail.alerts]

    @app.action(OPEN_MODAL)
    async def on_open(ack, body, client):
        await ack()
        name, incident_id, values = parse_open_value(body["actions"][0]["value"])
        lr = svc().show(name)
        ctx = _detail(lr)
        if values:  # from a dry run: the modal opens with what was previewed, for a last look
            ctx |= {"prefilled": {k: v for k, v in values.items() if k in lr.runbook.parameters}}
        if incident_id is not None:
            filled = prefill(lr.runbook, await _incident_labels(incident_id))
            ctx |= {"incident_id": incident_id, "prefilled": {p.parameter: p.value for p in filled if not p.skipped},
                    "prefill_labels": {p.parameter: p.label for p in filled if not p.skipped},
                    "prefill_skipped": [p.skipped for p in filled if p.skipped]}
        msg = deps.render("runbooks/modal", ctx)
        channel = (body.get("channel") or {}).get("id") or svc().channel
        view = {"type": "modal", "callback_id": MODAL_CALLBACK,
                "private_metadata": json.dumps({"name": lr.runbook.name, "channel": channel}),
                "title": {"type": "plain_text", "text": msg["title"]},
                "submit": {"type": "plain_text", "text": msg["submit"]},
                "close": {"type": "plain_text", "text": msg["close"]}, "blocks": msg["blocks"]}
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view(MODAL_CALLBACK)
    async def on_submit(ack, body, client):
        meta = json.loads(body["view"]["private_metadata"])
        values = {}
        for block_id, fields in body["view"]["state"]["values"].items():
            field = fields.get("value") or {}
            value = (field.get("selected_option") or {}).get("value") if "selected_option" in field \
                else field.get("value")
            if value not in (None, ""):
                values[block_id.removeprefix("param:")] = value
        try:
            req = await svc().request(actor_from_body(body), meta["name"], values)
        except InvalidInput as exc:
            # Shown under the first field of the form; the modal stays open to fix it.
            first = next(iter(body["view"]["state"]["values"]), None)
            await ack(response_action="errors", errors={first: exc.message[:150]} if first else {})
            return
        except OpsError as exc:
            # Not something the form can fix (policy, a missing runbook): close it and say why.
            # A view submission has no response_url, so the answer is an ephemeral message.
            await ack()
            reply = error_reply(exc, deps.metrics)
            await client.chat_postEphemeral(channel=meta["channel"], user=body["user"]["id"],
                                            text=reply["text"], blocks=reply.get("blocks"))
            return
        await ack()
        reply = deps.render("runbooks/preview", {
            "dry_run_only": False, "state": req.state, "id": req.id, "title": req.title, "env": req.env,
            "effect": "approval" if req.required else "allow", "approvals": req.required,
            "approver_roles": list(req.approver_roles), "channel": req.channel, "reason": "",
            "dry_run": req.dry_run})
        await client.chat_postEphemeral(channel=meta["channel"], user=body["user"]["id"],
                                        text=reply["text"], blocks=reply["blocks"])
