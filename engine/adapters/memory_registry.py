"""In-memory twin of the MLflow model registry, for tests, benchmarks and offline demos."""

from __future__ import annotations

import itertools
from dataclasses import replace

from engine.core.clock import Clock, SystemClock
from engine.errors import InvalidInput, NotFound, Unavailable
from engine.models.ports import alias_not_found, model_not_found, version_not_found
from engine.models.types import READY, ModelVersion, RegisteredModel
from engine.ports import ModelRegistry


class MemoryRegistry:
    """A registry held in dicts; behaves like MlflowRegistry, including its errors."""

    def __init__(self, clock: Clock | None = None, uri: str = "memory://registry") -> None:
        self.uri = uri
        self.clock = clock or SystemClock()
        self.available = True  # flip to False to rehearse an outage
        self._models: dict[str, RegisteredModel] = {}
        self._versions: dict[str, dict[int, ModelVersion]] = {}
        self._runs: dict[str, dict[str, float]] = {}
        self._run_ids = itertools.count(1)
        self.calls = 0  # how many port calls were made, for watch-cost measurements

    # -- seeding (not part of the port) ------------------------------------------------
    def create_model(self, name: str, tags: dict[str, str] | None = None) -> RegisteredModel:
        """Register a new, empty model."""
        if name in self._models:
            raise InvalidInput(f"model `{name}` already exists")
        now = self.clock.now()
        self._models[name] = RegisteredModel(name=name, tags=dict(tags or {}), created_at=now, updated_at=now)
        self._versions[name] = {}
        return self._models[name]

    def create_version(self, name: str, metrics: dict[str, float] | None = None,
                       tags: dict[str, str] | None = None, status: str = READY,
                       status_message: str = "") -> ModelVersion:
        """Add a version backed by a fake run that logged `metrics`."""
        if name not in self._models:
            self.create_model(name)
        run_id = f"run{next(self._run_ids):06d}"
        self._runs[run_id] = dict(metrics or {})
        number = max(self._versions[name], default=0) + 1
        now = self.clock.now()
        mv = ModelVersion(name=name, version=number, status=status, run_id=run_id, tags=dict(tags or {}),
                          created_at=now, status_message=status_message)
        self._versions[name][number] = mv
        self._models[name] = replace(self._models[name], updated_at=now, latest_version=number)
        return mv

    def set_status(self, name: str, version: int, status: str, message: str = "") -> None:
        """Finish (or fail) a pending registration."""
        mv = self._versions[name][version]
        self._versions[name][version] = replace(mv, status=status, status_message=message)
        self._models[name] = replace(self._models[name], updated_at=self.clock.now())

    # -- the port ----------------------------------------------------------------------
    def _check(self) -> None:
        self.calls += 1
        if not self.available:
            raise Unavailable(f"model registry at {self.uri} is not reachable", hint="is MLflow running?")

    def _model(self, name: str) -> RegisteredModel:
        if name not in self._models:
            raise model_not_found(name, self._models)
        return self._models[name]

    def _version(self, name: str, version: int) -> ModelVersion:
        self._model(name)
        mv = self._versions[name].get(int(version))
        if mv is None:
            raise version_not_found(name, version, self._versions[name])
        aliases = tuple(sorted(a for a, v in self._models[name].aliases.items() if v == mv.version))
        return replace(mv, aliases=aliases, tags=dict(mv.tags))

    async def list_models(self) -> list[RegisteredModel]:
        """Return every registered model with its aliases."""
        self._check()
        return [replace(m, aliases=dict(m.aliases)) for _, m in sorted(self._models.items())]

    async def get_model(self, name: str) -> RegisteredModel:
        """Return one model with its aliases."""
        self._check()
        m = self._model(name)
        return replace(m, aliases=dict(m.aliases))

    async def list_versions(self, name: str) -> list[ModelVersion]:
        """Return the versions of a model, newest first."""
        self._check()
        self._model(name)
        return [self._version(name, v) for v in sorted(self._versions[name], reverse=True)]

    async def get_version(self, name: str, version: int) -> ModelVersion:
        """Return one version of a model."""
        self._check()
        return self._version(name, version)

    async def run_metrics(self, run_id: str) -> dict[str, float]:
        """Return the latest value of each metric a run logged."""
        self._check()
        if run_id not in self._runs:
            raise NotFound(f"run `{run_id}` does not exist")
        return dict(self._runs[run_id])

    async def set_alias(self, name: str, alias: str, version: int) -> None:
        """Point an alias at a version."""
        self._check()
        self._version(name, version)
        m = self._models[name]
        self._models[name] = replace(m, aliases={**m.aliases, alias: int(version)})

    async def delete_alias(self, name: str, alias: str) -> None:
        """Remove an alias from a model."""
        self._check()
        m = self._model(name)
        if alias not in m.aliases:
            raise alias_not_found(name, alias, m.aliases)
        self._models[name] = replace(m, aliases={a: v for a, v in m.aliases.items() if a != alias})

    async def set_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        """Set one tag on a version."""
        self._check()
        mv = self._version(name, version)
        self._versions[name][mv.version] = replace(self._versions[name][mv.version],
                                                   tags={**mv.tags, key: str(value)})



class MemoryAliases:
    """In-memory twin of the runbooks' AliasControl port on any ModelRegistry (moves are listed, not recorded)."""

    def __init__(self, registry: ModelRegistry) -> None:
        self.registry = registry
        self.moves: list[tuple[str, str, str]] = []  # (model, alias, version) of every real move

    async def get_alias_version(self, model: str, alias: str) -> str | None:
        """Return the version an alias points at, or None."""
        version = (await self.registry.get_model(model)).aliases.get(alias)
        return str(version) if version is not None else None

    async def set_alias_version(self, model: str, alias: str, version: str) -> None:
        """Point an alias at a version; a move to where it already points is no move (as RecordedAliases)."""
        if (await self.registry.get_model(model)).aliases.get(alias) == int(version):
            return
        await self.registry.set_alias(model, alias, int(version))
        self.moves.append((model, alias, str(version)))
