"""Every port the engine talks to the outside world through, declared once.

Real adapters and in-memory twins live in engine/adapters/; tests/contract/ runs one contract
suite per port against both. Feature code types its dependencies with these Protocols."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping, Protocol

if TYPE_CHECKING:  # only for annotations: rca.types pulls numpy, and `opsbot --help` must stay light
    from engine.models.types import ModelVersion, RegisteredModel
    from engine.rca.types import Series as SignalSeries

# -- clock ---------------------------------------------------------------------------------


class Clock(Protocol):
    """Source of the current time (UTC, timezone-aware)."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        ...


# -- model registry (MLflow) ---------------------------------------------------------------


class ModelRegistry(Protocol):
    """A model registry with aliases; every method may raise Unavailable or NotFound."""

    uri: str

    async def list_models(self) -> list[RegisteredModel]:
        """Return every registered model with its aliases."""
        ...

    async def get_model(self, name: str) -> RegisteredModel:
        """Return one model with its aliases."""
        ...

    async def list_versions(self, name: str) -> list[ModelVersion]:
        """Return the versions of a model, newest first."""
        ...

    async def get_version(self, name: str, version: int) -> ModelVersion:
        """Return one version of a model."""
        ...

    async def run_metrics(self, run_id: str) -> dict[str, float]:
        """Return the latest value of each metric a run logged."""
        ...

    async def set_alias(self, name: str, alias: str, version: int) -> None:
        """Point an alias at a version."""
        ...

    async def delete_alias(self, name: str, alias: str) -> None:
        """Remove an alias from a model."""
        ...

    async def set_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        """Set one tag on a version."""
        ...


class AliasControl(Protocol):
    """What runbook steps need of the registry: read and move one alias, the move recorded.

    Not the registry itself: in `opsbot serve` it is models.runbook_bridge.RecordedAliases,
    which moves aliases through the model feature's recorded protocol."""

    async def get_alias_version(self, model: str, alias: str) -> str | None:
        """Return the version an alias points at, or None."""
        ...

    async def set_alias_version(self, model: str, alias: str, version: str) -> None:
        """Point an alias at a version."""
        ...


# -- silences (Alertmanager) ---------------------------------------------------------------


@dataclass(frozen=True)
class Matcher:
    """One label matcher of a silence."""

    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True


@dataclass(frozen=True)
class Silence:
    """A silence as Alertmanager reports it."""

    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    state: str = "active"  # active | pending | expired
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


class Silences(Protocol):
    """Create, list and expire silences (Alertmanager API v2 semantics)."""

    async def create_silence(self, matchers: list[Matcher], starts_at: datetime, ends_at: datetime,
                             created_by: str, comment: str) -> str:
        """Create a silence and return its id."""
        ...

    async def list_silences(self) -> list[Silence]:
        """Return every silence, expired ones included."""
        ...

    async def expire_silence(self, silence_id: str) -> None:
        """Expire a silence now."""
        ...


class DurationSilences(Protocol):
    """What the `alertmanager_silence` runbook step needs: an exact-match silence from now on.

    Implemented on top of Silences by adapters.alertmanager.RunbookSilences."""

    async def create_silence(self, matchers: Mapping[str, str], duration_s: float, comment: str,
                             created_by: str) -> str:
        """Create an exact-match silence lasting duration_s and return its id."""
        ...


# -- metrics (Prometheus) ------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """One time series of a range query: its labels and (unix seconds, value) points."""

    labels: dict[str, str]
    timestamps: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


class Metrics(Protocol):
    """PromQL queries against one Prometheus; errors are InvalidInput (bad query) or Unavailable."""

    async def query_range(self, promql: str, start: datetime, end: datetime, step_s: float) -> list[Series]:
        """Return every series of a range query between start and end."""
        ...

    async def instant_values(self, query: str) -> list[float]:
        """Return the sample values of an instant query's vector result."""
        ...

    def graph_url(self, promql: str, start: datetime, end: datetime, step_s: float = 60) -> str:
        """Return a link to a graph of the query over [start, end]."""
        ...


class ServiceSignals(Protocol):
    """Where RCA's per-service signals come from: Metrics in production, a recorded CSV in the demo."""

    async def fetch(self, service: str, metric: str, promql: str, start: datetime, end: datetime,
                    step_s: float) -> SignalSeries | None:
        """Return one service metric over [start, end] (several series summed), or None."""
        ...

    def link(self, promql: str, start: datetime, end: datetime, step_s: float) -> str | None:
        """Return a link to a graph of the signal, if the source has one."""
        ...


class WatchSeries(Protocol):
    """An anomaly watch's series over a time range: Metrics, or a CSV replayed as if live."""

    async def fetch(self, start: datetime, end: datetime, state: dict[str, Any]) -> list[Series]:
        """Return every series' points in [start, end]; `state` is the watch's persisted source state."""
        ...

    def link(self, start: datetime, end: datetime) -> str | None:
        """Return a link to a graph of the series, if the source has one."""
        ...


# -- Slack directory, artifacts ------------------------------------------------------------


class UsergroupDirectory(Protocol):
    """What the bot provides: the user ids in a Slack user group (usergroups.users.list)."""

    async def usergroup_members(self, usergroup_id: str) -> list[str]:
        """Return the user ids of a Slack user group."""
        ...


class ArtifactStore(Protocol):
    """Fetches a file from a run's artifacts to a local path."""

    async def download(self, run_id: str, path: str) -> str:
        """Return a local path holding the artifact `path` of run `run_id`."""
        ...
