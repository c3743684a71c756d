"""`/ops models|model|history|promote|rollback` and the model buttons: thin, one engine call each."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot import ids
from bot.commands import actor_from_body
from bot.commands import CommandContext, Subcommand
from engine.errors import InvalidInput, Unavailable
from engine.models.messages import parse_button_value

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.deps import Deps


def plain(obj: Any) -> Any:
    """Turn engine dataclasses (and datetimes) into a JSON-ready template context."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, datetime):
        return obj.isoformat(timespec="seconds")
    return obj


PROMOTE_USAGE = 'usage: `/ops promote <model> <version> [to <alias>] [override "<reason>"]`, e.g. `/ops promote churn 5`'
NAME_HINT = "usage: `/ops {cmd} <name>`, e.g. `/ops {cmd} churn`; `/ops models` lists the models"


def _version(word: str) -> int:
    if not re.fullmatch(r"v?\d{1,9}", word):
        raise InvalidInput(f"`{word}` is not a version number", hint="versions are numbers, e.g. 7")
    return int(word.lstrip("v"))


def parse_promote(args: list[str]) -> tuple[str, int, str | None, str | None, bool]:
    """Parse `<name> <version> [to [new-alias] <alias>] [override <reason...>]`."""
    if len(args) < 2:
        what = f"which version of {args[0]}?" if args else "which model and version?"
        raise InvalidInput(f"promote {what}", hint=f"{PROMOTE_USAGE}; `/ops models` lists the models, "
                                                   f"`/ops model <name>` their versions")
    name, version, rest = args[0], _version(args[1]), args[2:]
    alias = reason = None
    if "override" in rest:
        i = rest.index("override")
        reason = " ".join(rest[i + 1:]).strip()
        if not reason:
            raise InvalidInput("an override needs a reason", hint='override "why the failed gates are acceptable"')
        rest = rest[:i]
    new_alias = rest[1:2] == ["new-alias"]
    if new_alias:
        rest = rest[:1] + rest[2:]
    if rest[:1] == ["to"] and len(rest) == 2:
        alias = rest[1]
    elif rest or new_alias:
        raise InvalidInput(f"could not read `{' '.join(args[2:])}`", hint="/ops promote churn 7 to challenger")
    return name, version, alias, reason, new_alias


def parse_rollback(args: list[str]) -> tuple[str, str | None, int | None]:
    """Parse `<name> [<alias>] [to <version>]`."""
    if not args:
        raise InvalidInput("roll back which model?", hint="usage: `/ops rollback <model> [<alias>] [to <version>]`, "
                                                          "e.g. `/ops rollback churn`; `/ops models` lists the models")
    name, rest = args[0], args[1:]
    alias = version = None
    if rest and rest[0] != "to":
        alias, rest = rest[0], rest[1:]
    if rest[:1] == ["to"] and len(rest) == 2:
        version = _version(rest[1])
    elif rest:
        raise InvalidInput(f"could not read `{' '.join(rest)}`", hint="/ops rollback churn champion to 3")
    return name, alias, version


def register(app: "AsyncApp", deps: "Deps") -> None:
    """Register the model commands and buttons."""

    def svc():
        models = deps.engine.models
        if models is None:
            raise Unavailable("no model registry is configured",
                              hint="add a `models:` section to opsbot.yaml or set MLFLOW_TRACKING_URI")
        return models

    async def models_cmd(ctx: CommandContext):
        return deps.render("models/list", {"models": plain(await svc().list_models(ctx.actor))})

    async def model_cmd(ctx: CommandContext):
        if not ctx.args:
            raise InvalidInput("which model?", hint=NAME_HINT.format(cmd="model"))
        return deps.render("models/model", plain(await svc().show(ctx.actor, ctx.args[0])))

    async def history_cmd(ctx: CommandContext):
        if not ctx.args:
            raise InvalidInput("the history of which model?", hint=NAME_HINT.format(cmd="history"))
        changes = await svc().history(ctx.actor, ctx.args[0])
        return deps.render("models/history", {"name": ctx.args[0], "changes": changes})

    def change_reply(result: Any) -> dict[str, Any]:
        # Only to its author: a real request already has its living message in the channel (the
        # approval card, re-rendered as it moves), and a second one would go stale beside it.
        return deps.render("models/promote", plain(result), ephemeral=True)

    async def promote_cmd(ctx: CommandContext):
        name, version, alias, reason, new_alias = parse_promote(ctx.args)
        return change_reply(await svc().promote(ctx.actor, name, version, alias, reason, new_alias))

    async def rollback_cmd(ctx: CommandContext):
        name, alias, version = parse_rollback(ctx.args)
        return change_reply(await svc().rollback(ctx.actor, name, alias, version))

    for name, summary, usage, example, handler, most in [
        ("models", "Registered models, their aliases and last change", "models", "/ops models", models_cmd, 0),
        ("model", "A model's aliases, latest versions, metrics and tags", "model <name>", "/ops model churn",
         model_cmd, 1),
        ("history", "Every alias change of a model, with approvals and gates", "history <name>",
         "/ops history churn", history_cmd, 1),
        ("promote", "Move an alias to a version through the gates (default alias champion)",
         'promote <name> <version> [to [new-alias] <alias>] [override "<reason>"]', "/ops promote churn 2 to challenger",
         promote_cmd, None),
        ("rollback", "Return an alias to its previous holder", "rollback <name> [<alias>] [to <version>]",
         "/ops rollback churn", rollback_cmd, None),
    ]:
        deps.router.add(Subcommand(name=name, summary=summary, usage=usage, example=example,
                                   handler=handler, family="models", max_args=most))

    async def on_button(ack, body, respond, rollback: bool) -> None:
        await ack()
        model, version, alias = parse_button_value(body["actions"][0]["value"])
        actor = actor_from_body(body)
        if rollback:
            result = await svc().rollback(actor, model, alias, version)
        else:
            result = await svc().promote(actor, model, version or 0, alias)
        await respond(**change_reply(result), replace_original=False)

    @app.action(ids.MODELS_PROMOTE_CHALLENGER)
    async def promote_challenger(ack, body, respond):
        await on_button(ack, body, respond, rollback=False)

    @app.action(ids.MODELS_PROMOTE_CHAMPION)
    async def promote_champion(ack, body, respond):
        await on_button(ack, body, respond, rollback=False)

    @app.action(ids.MODELS_ROLLBACK)
    async def rollback_button(ack, body, respond):
        await on_button(ack, body, respond, rollback=True)
