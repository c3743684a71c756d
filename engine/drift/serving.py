"""What the drift check asks the model registry: which version served in a window, and where
the serving version's run keeps its reference data."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
from datetime import datetime
from typing import Any, Mapping, Optional

from engine.core.clock import utc
from engine.errors import InvalidInput, NotFound, OpsError, Unavailable
from engine.ports import ArtifactStore

log = logging.getLogger("opsbot.drift")


class MlflowArtifacts:
    """MLflow artifacts (any tracking URI: server, file store); runs are immutable, so cached."""

    def __init__(self, tracking_uri: str, cache_dir: Optional[str] = None) -> None:
        self.tracking_uri = tracking_uri
        self._owned = cache_dir is None  # only a directory we made is ours to remove
        self.cache_dir = cache_dir or tempfile.mkdtemp(prefix="opsbot-drift-artifacts-")
        self._cache: dict[tuple[str, str], str] = {}

    def close(self) -> None:
        """Remove the downloaded artifacts."""
        if self._owned:
            shutil.rmtree(self.cache_dir, ignore_errors=True)
        self._cache.clear()

    async def download(self, run_id: str, path: str) -> str:
        """Download once per (run, path) in a worker thread."""
        key = (run_id, path)
        if key not in self._cache:
            self._cache[key] = await asyncio.to_thread(self._download, run_id, path)
        return self._cache[key]

    def _download(self, run_id: str, path: str) -> str:
        import mlflow.artifacts
        from mlflow.exceptions import MlflowException

        dst = os.path.join(self.cache_dir, run_id)
        os.makedirs(dst, exist_ok=True)
        try:
            return mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path, dst_path=dst,
                                                       tracking_uri=self.tracking_uri)
        except MlflowException as exc:
            raise InvalidInput(f"artifact `{path}` of run {run_id}: {str(exc).splitlines()[0][:200]}",
                               hint="check drift.models.<model>.reference.mlflow_artifact") from None
        except OSError as exc:
            raise Unavailable(f"MLflow at {self.tracking_uri}: cannot fetch `{path}` ({exc})") from None


async def serving_run(models: Any, name: str, alias: str) -> tuple[int, Optional[str]]:
    """Return (version, run id) of the version holding `alias` now."""
    if models is None:
        raise Unavailable("a reference from MLflow needs the model registry, which is not configured",
                          hint="configure `models:` or give reference.path")
    model = await models.registry.get_model(name)
    version = model.aliases.get(alias)
    if version is None:
        raise InvalidInput(f"model `{name}` has no `{alias}` alias, so there is no serving run to read",
                           hint="promote a version or set drift.models.<model>.alias")
    mv = await models.registry.get_version(name, version)
    return version, mv.run_id


async def serving_versions(models: Any, name: str, alias: str, start: Optional[datetime],
                           end: Optional[datetime]) -> Optional[list[int]]:
    """Return the versions that held `alias` during [start, end] (oldest first), None if unknown."""
    if models is None:
        return None
    try:
        current = (await models.registry.get_model(name)).aliases.get(alias)
        changes = list(reversed(await models.queries.changes(name, done_only=True, alias=alias)))
    except OpsError as exc:  # the drift verdict stands without it; say nothing rather than fail
        log.info("serving version unknown", extra={"model": name, "reason": str(exc)})
        return None
    return holders_between(changes, current, start, end)


def holders_between(changes: list[Any], current: Optional[int], start: Optional[datetime],
                    end: Optional[datetime]) -> list[int]:
    """Return alias holders over a window in the order they held it (oldest first; a version that held
    it twice appears twice: v1 -> v5 -> v1 is not v1 -> v5)."""
    if start is None:
        return [current] if current is not None else []
    if not changes:
        return [current] if current is not None else []
    before = [c for c in changes if utc(c.created_at) <= start]
    first = before[-1].to_version if before else changes[0].from_version
    inside = [c.to_version for c in changes
              if start < utc(c.created_at) and (end is None or utc(c.created_at) <= end)]
    out: list[int] = []
    for v in [first, *inside]:
        if v is not None and (not out or out[-1] != v):
            out.append(v)
    return out


class RegistryLink:
    """The drift service's view of its neighbours: the model registry and the runbooks.

    Looked up at call time in the engine's services, so drift works with or without them."""

    def __init__(self, services: Mapping[str, Any], artifacts: Optional[ArtifactStore] = None) -> None:
        self.services = services
        self._artifacts = artifacts

    @property
    def models(self) -> Any:
        """Return the model service, or None when the registry is not configured."""
        return self.services.get("models")

    async def serving(self, name: str, alias: str, start: Optional[datetime],
                      end: Optional[datetime]) -> Optional[list[int]]:
        """Return the versions that served in the window, or None if unknown."""
        return await serving_versions(self.models, name, alias, start, end)

    async def artifact(self, name: str, alias: str, path: str) -> str:
        """Return a local copy of `path` from the run of the version serving now."""
        version, run_id = await serving_run(self.models, name, alias)
        if not run_id:
            raise InvalidInput(f"{name} v{version} has no run, so `{path}` cannot be read from it")
        if self._artifacts is None:
            self._artifacts = MlflowArtifacts(self.models.config.tracking_uri)
        return await self._artifacts.download(run_id, path)

    def close(self) -> None:
        """Release what the link downloaded."""
        closer = getattr(self._artifacts, "close", None)
        if closer is not None:
            closer()

    def rollback_value(self, name: str, alias: str) -> Optional[str]:
        """Return the Roll back button's value, or None when no model service can roll back."""
        models = self.models
        if models is None or not hasattr(models, "rollback"):
            return None
        from engine.models.messages import button_value

        return button_value(name, None, alias)

    def has_runbook(self, name: str) -> bool:
        """Return True when the runbooks service knows this runbook."""
        runbooks = self.services.get("runbooks")
        if runbooks is None:
            return False
        try:
            runbooks.show(name)
        except NotFound:
            return False
        return True
