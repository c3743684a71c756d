"""The model registry port on a real MLflow tracking server (MlflowClient, off the loop)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any, Callable, TypeVar

from engine.errors import Conflict, InvalidInput, NotFound, OpsError, Unavailable
from engine.models.ports import alias_not_found, model_not_found, version_not_found
from engine.models.types import ModelVersion, RegisteredModel

T = TypeVar("T")
_PAGE = 1000


def _ts(ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc) if ms else None


def _quote(value: str) -> str:
    # MLflow's filter grammar takes single-quoted strings; a quote inside a name is doubled.
    return "'" + value.replace("'", "''") + "'"


def http_environment(timeout: float, http_retries: int = 1) -> dict[str, str]:
    """Return the MLflow HTTP limits the composition root puts in the process environment.

    MLflow reads its HTTP retry budget from the environment on every request and offers no
    other way to set it; its default (7 retries, exponential backoff) would keep a worker
    thread busy for minutes after our timeout gave up. The root sets these unless the
    operator did, so nothing below it writes os.environ."""
    return {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(http_retries),
            "MLFLOW_HTTP_REQUEST_TIMEOUT": str(max(1, int(timeout)))}


class MlflowRegistry:
    """ModelRegistry on `mlflow.MlflowClient`; every call runs in a thread under a timeout."""

    def __init__(self, tracking_uri: str, registry_uri: str | None = None, timeout: float = 10.0) -> None:
        from mlflow import MlflowClient  # imported lazily: mlflow takes ~2 s to import

        self.uri = registry_uri or tracking_uri
        self.tracking_uri = tracking_uri
        self.timeout = timeout
        self._client = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri)

    async def _call(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        try:
            async with asyncio.timeout(self.timeout):
                return await asyncio.to_thread(fn, *args, **kw)
        except TimeoutError as exc:
            raise Unavailable(f"MLflow at {self.uri} did not answer within {self.timeout:g}s",
                              hint="check the MLflow server and `models.tracking_uri`") from exc
        except OpsError:
            raise
        except Exception as exc:
            raise self._translate(exc) from exc

    def _translate(self, exc: Exception) -> OpsError:
        from mlflow.exceptions import MlflowException, RestException

        # Only an answer from the store with a client-side error code is the user's problem;
        # anything else (connection refused, DNS, TLS, 5xx, retries exhausted) is an outage.
        code = exc.error_code if isinstance(exc, MlflowException) else ""
        server_error = isinstance(exc, RestException) and exc.get_http_status_code() >= 500
        if code == "RESOURCE_DOES_NOT_EXIST" and not server_error:
            return NotFound(str(exc.message))
        if code == "RESOURCE_ALREADY_EXISTS" and not server_error:
            return Conflict(str(exc.message))
        if code == "INVALID_PARAMETER_VALUE" and not server_error:
            return InvalidInput(f"MLflow refused the request: {str(exc.message)[:300]}")
        return Unavailable(f"MLflow at {self.uri} is not reachable: {str(exc)[:200]}",
                           hint="check the MLflow server and `models.tracking_uri`")

    async def _names(self) -> list[str]:
        return [m.name for m in await self.list_models()]

    async def list_models(self) -> list[RegisteredModel]:
        """Return every registered model with its aliases."""
        out: list[RegisteredModel] = []
        token: str | None = None
        while True:
            page = await self._call(self._client.search_registered_models, max_results=_PAGE,
                                    page_token=token)
            out.extend(self._model(m) for m in page)
            token = page.token
            if not token:
                return out

    @staticmethod
    def _model(m: Any) -> RegisteredModel:
        latest = max((int(v.version) for v in (m.latest_versions or [])), default=None)
        return RegisteredModel(name=m.name, aliases={a: int(v) for a, v in (m.aliases or {}).items()},
                               tags=dict(m.tags or {}), description=m.description or "",
                               created_at=_ts(m.creation_timestamp), updated_at=_ts(m.last_updated_timestamp),
                               latest_version=latest)

    @staticmethod
    def _version(v: Any, aliases: tuple[str, ...] | None = None) -> ModelVersion:
        return ModelVersion(name=v.name, version=int(v.version), status=str(v.status), run_id=v.run_id or None,
                            tags=dict(v.tags or {}), created_at=_ts(v.creation_timestamp),
                            status_message=v.status_message or "",
                            aliases=tuple(sorted(aliases if aliases is not None else (v.aliases or []))))

    async def get_model(self, name: str) -> RegisteredModel:
        """Return one model with its aliases."""
        try:
            return self._model(await self._call(self._client.get_registered_model, name))
        except NotFound:
            raise model_not_found(name, await self._names()) from None

    async def list_versions(self, name: str) -> list[ModelVersion]:
        """Return the versions of a model, newest first."""
        model = await self.get_model(name)  # also turns an unknown name into a helpful NotFound
        by_version: dict[int, list[str]] = {}
        for alias, v in model.aliases.items():
            by_version.setdefault(v, []).append(alias)
        out: list[ModelVersion] = []
        token: str | None = None
        while True:
            page = await self._call(self._client.search_model_versions, f"name={_quote(name)}",
                                    max_results=_PAGE, page_token=token)
            # search results carry no aliases on this server version; the model record does
            out.extend(self._version(v, tuple(by_version.get(int(v.version), ()))) for v in page)
            token = page.token
            if not token:
                return sorted(out, key=lambda v: v.version, reverse=True)

    async def get_version(self, name: str, version: int) -> ModelVersion:
        """Return one version of a model."""
        try:
            return self._version(await self._call(self._client.get_model_version, name, str(int(version))))
        except NotFound:
            versions = await self.list_versions(name)
            raise version_not_found(name, version, [v.version for v in versions]) from None
        except ValueError:
            raise InvalidInput(f"version must be a number, got {version!r}") from None

    async def run_metrics(self, run_id: str) -> dict[str, float]:
        """Return the latest value of each metric a run logged."""
        run = await self._call(self._client.get_run, run_id)
        return {k: float(v) for k, v in run.data.metrics.items()}

    async def set_alias(self, name: str, alias: str, version: int) -> None:
        """Point an alias at a version."""
        await self.get_version(name, version)  # MLflow's own error for a bad version is vague
        await self._call(self._client.set_registered_model_alias, name, alias, str(int(version)))

    async def delete_alias(self, name: str, alias: str) -> None:
        """Remove an alias from a model."""
        model = await self.get_model(name)
        if alias not in model.aliases:
            raise alias_not_found(name, alias, model.aliases)
        await self._call(self._client.delete_registered_model_alias, name, alias)

    async def set_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        """Set one tag on a version."""
        try:
            await self._call(self._client.set_model_version_tag, name, str(int(version)), key, str(value))
        except NotFound:
            versions = await self.list_versions(name)
            raise version_not_found(name, version, [v.version for v in versions]) from None
