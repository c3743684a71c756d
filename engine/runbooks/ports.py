"""What runbook steps need from the outside world; the adapters of other features satisfy these."""

from __future__ import annotations

from typing import Mapping, Protocol


class MetricsQuery(Protocol):
    """Instant PromQL queries (the Prometheus adapter)."""

    async def instant_values(self, query: str) -> list[float]:
        """Return the sample values of an instant query's vector result."""
        ...


class SilenceAPI(Protocol):
    """Alertmanager silences (the Alertmanager adapter)."""

    async def create_silence(self, matchers: Mapping[str, str], duration_s: float, comment: str,
                             created_by: str) -> str:
        """Create an exact-match silence and return its id."""
        ...


class ModelRegistry(Protocol):
    """Registered-model aliases (the MLflow adapter)."""

    async def get_alias_version(self, model: str, alias: str) -> str | None:
        """Return the version an alias points at, or None."""
        ...

    async def set_alias_version(self, model: str, alias: str, version: str) -> None:
        """Point an alias at a version."""
        ...
