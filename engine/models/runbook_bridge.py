"""The runbooks' `mlflow_alias` port backed by the model feature, so alias moves made by a
runbook step land in the same history (intent, move, confirm) instead of looking "outside"."""

from __future__ import annotations

from engine.models.mover import AliasMover, MoveRequest
from engine.ports import ModelRegistry


class RecordedAliases:
    """engine.ports.AliasControl on the model registry port plus the alias mover."""

    def __init__(self, registry: ModelRegistry, mover: AliasMover, actor_id: str = "opsbot runbook") -> None:
        self.registry, self.mover, self.actor_id = registry, mover, actor_id

    async def get_alias_version(self, model: str, alias: str) -> str | None:
        """Return the version an alias points at, or None."""
        version = (await self.registry.get_model(model)).aliases.get(alias)
        return str(version) if version is not None else None

    async def set_alias_version(self, model: str, alias: str, version: str) -> None:
        """Move the alias through the recorded protocol (kind `runbook`)."""
        current = (await self.registry.get_model(model)).aliases.get(alias)
        if current == int(version):
            return
        await self.mover.move(MoveRequest(model=model, alias=alias, to_version=int(version),
                                          from_version=current, kind="runbook", actor_id=self.actor_id,
                                          actor_name=self.actor_id))
