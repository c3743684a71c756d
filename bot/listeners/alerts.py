"""Alert commands (`/ops incidents`, `incident`, `why`, `stats`) and the incident buttons."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from bot.commands import CommandContext, Subcommand, actor_from_body, parse_days, parse_incident_id
from bot.listeners import alert_corrections
from engine.alerts.lifecycle import NOTE_CHARS
from engine.alerts.messages import (ACK, LINK_PREFIX, NOTE, NOTE_MODAL, REOPEN, RESOLVE, SILENCE, SNOOZE_PREFIX,
                                    TAKE, UNSILENCE, alert_groups, alert_line, incident_context, timeline)
from engine.core.bounds import parse_int
from engine.errors import InvalidInput, OpsError

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.deps import Deps

SNOOZE_MAX_S = 366 * 86400  # a snooze button never asks for more; a forged one gets a clear refusal


def register(app: "AsyncApp", deps: "Deps") -> None:
    """Register the alert subcommands and the incident message buttons."""

    def svc() -> Any:
        return deps.engine.alerts

    async def views(incidents: list[Any]) -> list[dict[str, Any]]:
        # The list and the detail read as the card does: a merged incident says where it went.
        contexts = [incident_context(i, svc().cfg) for i in incidents]
        corrections = deps.engine.corrections
        resolved = [c["id"] for c in contexts if c["status"] == "resolved"]
        if corrections is not None and resolved:
            into = await corrections.merged_targets(resolved)
            for c in contexts:
                c["merged_into"] = into.get(c["id"])
        return contexts

    async def incidents_cmd(ctx: CommandContext):
        which = ctx.args[0] if ctx.args else "open"
        found = await svc().queries.incidents(which, limit=20)
        return deps.render("alerts/incidents", {"which": which, "limit": 20, "incidents": await views(found)})

    async def incident_cmd(ctx: CommandContext):
        if not ctx.args:
            raise InvalidInput("which incident?", hint="usage: /ops incident <id>")
        d = await svc().queries.incident(parse_incident_id(ctx.args[0]))
        lines = [alert_line(a) for a in d.alerts]
        return deps.render("alerts/incident_detail", {"incident": (await views([d.incident]))[0],
                                                      "groups": alert_groups(lines, svc().cfg.service_label),
                                                      "timeline": timeline(d.decisions)})

    async def why_cmd(ctx: CommandContext):
        if not ctx.args:
            raise InvalidInput("`/ops why` needs an alert fingerprint or an incident id",
                               hint="usage: /ops why <fingerprint | incident id>; `/ops incidents` lists the ids")
        w = await svc().queries.why(ctx.args[0])
        return deps.render("alerts/why", {"subject": w.subject, "decisions": w.decisions, "state": w.state,
                                          "next_due_at": w.next_due_at.isoformat() if w.next_due_at else None,
                                          "auto": await _auto_why(ctx.args[0])})

    async def _auto_why(target: str) -> list[dict[str, Any]] | None:
        # Which runbook trigger matched the incident, or why none did (engine/auto).
        if deps.engine.auto is None or not re.fullmatch(r"#?\d{1,18}", target.strip()):
            return None
        from engine.auto.report import why

        return [asdict(line) for line in await why(deps.engine.auto, parse_incident_id(target))]

    async def stats_cmd(ctx: CommandContext):
        days = parse_days(ctx.args, 7)
        facts = asdict(await svc().queries.stats(days))
        if deps.engine.corrections is not None:  # people's Split and Merge, per week
            facts["corrections"] = await deps.engine.corrections.weekly(days)
        if deps.engine.auto is not None:  # automatic runs, success rate, minutes saved (engine/auto)
            from engine.auto.report import stats

            auto = await stats(deps.engine.auto, days)
            facts["auto"] = asdict(auto) | {"success_rate": auto.success_rate}
        return deps.render("alerts/stats", facts)

    async def oncall_cmd(ctx: CommandContext):
        oncall = deps.engine.oncall
        if oncall is None or not oncall.teams:
            raise InvalidInput("no on-call schedules are configured", hint="add `oncall.schedules` (docs/oncall.md)")
        found = await oncall.who(" ".join(ctx.args) if ctx.args else None)
        return deps.render("alerts/oncall", {"teams": [
            {"team": a.team, "people": list(a.people), "until": a.until.isoformat() if a.until else None,
             "source": a.source} for a in found]})

    for name, summary, usage, example, fn, most in [
        ("incidents", "List open (or all) incidents", "incidents [open|all]", "/ops incidents", incidents_cmd, 1),
        ("incident", "Show one incident: alerts and timeline", "incident <id>", "/ops incident 1", incident_cmd, 1),
        ("why", "Explain the dedup, grouping, snooze and notification decisions",
         "why <fingerprint | incident id>", "/ops why 1", why_cmd, 1),
        ("stats", "Alerts in, incidents out, compression, MTTA, MTTR, noisiest alerts, corrections", "stats [7d]",
         "/ops stats 30d", stats_cmd, 1),
        ("oncall", "Who is on call now, per team", "oncall [team]", "/ops oncall platform", oncall_cmd, None),
    ]:
        deps.router.add(Subcommand(name=name, summary=summary, usage=usage, example=example, handler=fn,
                                   family="alerts", max_args=most))

    alert_corrections.register(app, deps)  # Split… and Merge into…

    # Buttons carry only the incident id; the engine re-checks state, edits the living message
    # through the outbox, and raises OpsErrors that the one error handler shows ephemerally.
    @app.action(ACK)
    async def on_ack(ack, body):  # noqa: ANN001 - Bolt injects by name
        await ack()
        await svc().acknowledge(parse_incident_id(body["actions"][0]["value"]), actor_from_body(body))

    @app.action(RESOLVE)
    async def on_resolve(ack, body):
        await ack()
        await svc().resolve(parse_incident_id(body["actions"][0]["value"]), actor_from_body(body))

    @app.action(re.compile(re.escape(SNOOZE_PREFIX) + r"\d+$"))
    async def on_snooze(ack, body):
        await ack()
        action = body["actions"][0]
        seconds = parse_int(action["action_id"][len(SNOOZE_PREFIX):], "snooze seconds", hi=SNOOZE_MAX_S)
        await svc().snooze(parse_incident_id(action["value"]), seconds, actor_from_body(body))

    @app.action(SILENCE)
    async def on_silence(ack, body):
        await ack()
        await svc().silence(parse_incident_id(body["actions"][0]["value"]), actor_from_body(body))

    @app.action(UNSILENCE)
    async def on_unsilence(ack, body):
        await ack()
        inc, _, sid = body["actions"][0]["value"].partition(":")
        await svc().expire_silence(parse_incident_id(inc), sid, actor_from_body(body))

    @app.action(TAKE)
    async def on_take(ack, body):
        await ack()
        await svc().take(parse_incident_id(body["actions"][0]["value"]), actor_from_body(body))

    @app.action(REOPEN)
    async def on_reopen(ack, body):
        await ack()
        await svc().reopen(parse_incident_id(body["actions"][0]["value"]), actor_from_body(body))

    @app.action(re.compile(re.escape(LINK_PREFIX) + r"[a-z]+$"))
    async def on_link(ack):  # a link button opens its URL in the browser; Slack still reports the click
        await ack()

    @app.action(NOTE)
    async def on_note(ack, body, client):
        await ack()
        incident_id = parse_incident_id(body["actions"][0]["value"])
        await svc().queries.incident(incident_id)  # a forged id gets "does not exist", not a modal
        msg = deps.render("alerts/note_modal", {"id": incident_id, "max_chars": NOTE_CHARS})
        channel = (body.get("channel") or {}).get("id", "")
        await client.views_open(trigger_id=body["trigger_id"], view={
            "type": "modal", "callback_id": NOTE_MODAL,
            "private_metadata": json.dumps({"incident": str(incident_id), "channel": channel}),
            "title": {"type": "plain_text", "text": msg["title"]}, "submit": {"type": "plain_text", "text": "Add"},
            "close": {"type": "plain_text", "text": "Cancel"}, "blocks": msg["blocks"]})

    @app.view(NOTE_MODAL)
    async def on_note_submit(ack, body, client):
        meta = json.loads(body["view"]["private_metadata"])
        text = (((body["view"]["state"]["values"].get("note") or {}).get("text") or {}).get("value") or "")
        try:
            await svc().add_note(parse_incident_id(str(meta["incident"])), text, actor_from_body(body))
        except InvalidInput as exc:  # the modal stays open with the reason under the field
            await ack(response_action="errors", errors={"note": exc.message[:150]})
            return
        except OpsError as exc:  # the incident is gone or refused: close the modal and say why
            await ack()
            if meta.get("channel"):
                await client.chat_postEphemeral(channel=meta["channel"], user=body["user"]["id"],
                                                text=f"Note not added: {exc.message}")
            return
        await ack()
