"""Read side of the model feature: list models, show one, and its alias history."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from engine.core.clock import utc
from engine.ports import ModelRegistry
from engine.models.tables import DONE, AliasChange
from engine.store.db import Database

LATEST_VERSIONS = 10


def change_dict(c: AliasChange) -> dict[str, Any]:
    """Return a JSON-ready view of one alias change."""
    return {"id": c.id, "model": c.model, "alias": c.alias, "from_version": c.from_version,
            "to_version": c.to_version, "kind": c.kind, "state": c.state, "actor_id": c.actor_id,
            "actor_name": c.actor_name, "approval_id": c.approval_id, "approvals": c.approvals,
            "gates": c.gates, "override_reason": c.override_reason, "error": c.error,
            "at": utc(c.created_at).isoformat(timespec="seconds")}


@dataclass(frozen=True)
class ModelRow:
    """One line of `/ops models`."""

    name: str
    aliases: dict[str, int]
    latest_version: int | None
    updated_at: datetime | None
    last_change: dict[str, Any] | None


@dataclass(frozen=True)
class VersionRow:
    """One version in `/ops model <name>`."""

    version: int
    status: str
    created_at: datetime | None
    run_id: str | None
    aliases: tuple[str, ...]
    metrics: dict[str, float]
    tags: dict[str, str]


@dataclass(frozen=True)
class ModelDetail:
    """What `/ops model <name>` shows."""

    name: str
    description: str
    aliases: dict[str, int]
    versions: list[VersionRow]
    changes: list[dict[str, Any]] = field(default_factory=list)
    key_metrics: list[str] = field(default_factory=list)


class ModelQueries:
    """Answers the read commands from the registry and the history table."""

    def __init__(self, db: Database, registry: ModelRegistry) -> None:
        self.db, self.registry = db, registry

    async def changes(self, model: str, limit: int | None = None, done_only: bool = False,
                      alias: str | None = None) -> list[AliasChange]:
        """Return alias changes of a model, newest first."""
        async with self.db.session() as s:
            q = select(AliasChange).where(col(AliasChange.model) == model)
            if done_only:
                q = q.where(col(AliasChange.state) == DONE)
            if alias:
                q = q.where(col(AliasChange.alias) == alias)
            q = q.order_by(col(AliasChange.id).desc())
            if limit:
                q = q.limit(limit)
            return list((await s.exec(q)).all())

    async def last_changes(self) -> dict[str, AliasChange]:
        """Return the newest done change per model."""
        async with self.db.session() as s:
            rows = (await s.exec(select(AliasChange).where(col(AliasChange.state) == DONE)
                                 .order_by(col(AliasChange.id)))).all()
        return {r.model: r for r in rows}

    async def list_models(self) -> list[ModelRow]:
        """Return every registered model with its aliases and its last recorded change."""
        models, last = await asyncio.gather(self.registry.list_models(), self.last_changes())
        return [ModelRow(m.name, m.aliases, m.latest_version, m.updated_at,
                         change_dict(last[m.name]) if m.name in last else None) for m in models]

    async def show(self, name: str, key_metrics: list[str]) -> ModelDetail:
        """Return a model's aliases, its latest versions with key metrics and tags, and recent changes."""
        model = await self.registry.get_model(name)
        versions = (await self.registry.list_versions(name))[:LATEST_VERSIONS]

        async def metrics(run_id: str | None) -> dict[str, float]:
            return await self.registry.run_metrics(run_id) if run_id else {}

        all_metrics = await asyncio.gather(*(metrics(v.run_id) for v in versions))
        rows = [VersionRow(v.version, v.status, v.created_at, v.run_id, v.aliases,
                           {k: m[k] for k in key_metrics if k in m} or dict(list(m.items())[:4]), v.tags)
                for v, m in zip(versions, all_metrics)]
        changes = [change_dict(c) for c in await self.changes(name, limit=10)]
        return ModelDetail(model.name, model.description, model.aliases, rows, changes, key_metrics)

    async def history(self, name: str, limit: int = 50) -> list[dict[str, Any]]:
        """Return every recorded alias change of a model (newest first), ours and outside ones."""
        rows = await self.changes(name, limit=limit)
        if not rows:
            await self.registry.get_model(name)  # unknown names get the closest-match NotFound
        return [change_dict(c) for c in rows]
