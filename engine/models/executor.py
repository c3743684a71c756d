"""The approval executor for alias changes: re-checks the frozen holder, then moves the alias."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from engine.approvals import Approvals, Outcome, RunContext
from engine.errors import OpsError
from engine.models.mover import ALIAS_KIND, AliasMover, MoveRequest
from engine.ports import ModelRegistry

log = logging.getLogger("opsbot.models")
KIND = ALIAS_KIND


def _v(version: int | None) -> str:
    return f"v{version}" if version is not None else "unset"


class AliasExecutor:
    """Executes approved `model_alias` plans (promote and rollback) exactly once."""

    kind = KIND

    def __init__(self, registry: ModelRegistry, mover: AliasMover, approvals: Approvals | None = None) -> None:
        self.registry, self.mover, self.approvals = registry, mover, approvals

    async def precondition(self, parameters: dict[str, Any], targets: dict[str, Any]) -> str | None:
        """Return why the plan is stale (the alias moved, or the version is gone), else None."""
        model, alias = parameters["model"], parameters["alias"]
        current = (await self.registry.get_model(model)).aliases.get(alias)
        if current != targets.get("from_version"):
            return f"`{alias}` of {model} moved from {_v(targets.get('from_version'))} to {_v(current)} since the request"
        try:
            mv = await self.registry.get_version(model, int(parameters["version"]))
        except OpsError as exc:
            return exc.message
        return None if mv.ready else f"{model} v{mv.version} is {mv.status}"

    async def _approvals_of(self, request_id: int) -> list[dict[str, Any]]:
        if self.approvals is None:
            return []
        _, votes = await self.approvals.get(request_id)
        return [{"user": v.user_id, "name": v.user_name, "at": v.at.isoformat(timespec="seconds")}
                for v in votes if v.decision == "approve"]

    async def execute(self, ctx: RunContext) -> Outcome:
        """Move the alias (recorded atomically), then tag the versions for MLflow's own UI."""
        p, t = ctx.parameters, ctx.targets
        model, alias, version, frm = p["model"], p["alias"], int(p["version"]), t.get("from_version")
        await ctx.step("move alias", "running", f"{model} `{alias}`: {_v(frm)} -> v{version}")
        change = await self.mover.move(MoveRequest(
            model=model, alias=alias, to_version=version, from_version=frm, kind=p["action"],
            actor_id=ctx.requester, actor_name=p.get("requester_name", ""), approval_id=ctx.request_id,
            approvals=await self._approvals_of(ctx.request_id), gates=t.get("gates", []),
            override_reason=p.get("override_reason")))
        # Past tense: the card keeps this line after the alias moves on (request_cards says what replaced it).
        done = f"moved {model} `{alias}` from {_v(frm)} to v{version}"
        await ctx.step("move alias", "ok", done)
        await self._tag(model, alias, version, frm, p, ctx.requester)
        return Outcome(True, done,
                       {"change_id": change.id, "model": model, "alias": alias, "from": frm, "to": version})

    async def _tag(self, model: str, alias: str, version: int, frm: int | None, p: dict[str, Any], who: str) -> None:
        # Tags mirror the history into MLflow's UI; the record of truth is our table, so a
        # failed tag is logged, not fatal (the alias already moved and was recorded).
        verb = "rolled_back" if p["action"] == "rollback" else "promoted"
        tags = {f"opsbot.{verb}_by": p.get("requester_name") or who, f"opsbot.{verb}_to": alias,
                f"opsbot.{verb}_at": self.mover.clock.now().isoformat(timespec="seconds")}
        if frm is not None:
            tags[f"opsbot.previous_{alias}"] = str(frm)
        if p.get("override_reason"):
            tags["opsbot.gate_override"] = p["override_reason"][:250]
        writes = [self.registry.set_version_tag(model, version, k, v) for k, v in tags.items() if v]
        if frm is not None:
            writes.append(self.registry.set_version_tag(model, frm, f"opsbot.replaced_as_{alias}_by", str(version)))
        for result in await asyncio.gather(*writes, return_exceptions=True):
            if isinstance(result, Exception):
                log.warning("could not tag %s v%s in MLflow: %s", model, version, result)
