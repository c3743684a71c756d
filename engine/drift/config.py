"""The `drift` section of opsbot.yaml: per model, where the reference and current data live,
how to compare them, where to post, and how often to check."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from engine.core.bounds import parse_duration  # one bounded parser for every duration (re-exported)
from engine.drift.types import DriftOptions, Method
from engine.errors import InvalidInput


def _duration_ok(text: str, what: str) -> timedelta:
    # pydantic reports ValueErrors with the key's location; InvalidInput would escape it.
    try:
        return parse_duration(text, what)
    except InvalidInput as exc:
        raise ValueError(exc.message) from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _path_shorthand(value: Any) -> Any:
    # `reference: data/ref.parquet` is the common case; the mapping form is for the rest.
    return {"path": value} if isinstance(value, str) else value


class ReferenceSpec(_Strict):
    """The reference data: a file (path, glob or URL) or an artifact of the serving version's run."""

    path: Optional[str] = Field(None, description="CSV or Parquet: local path, glob or http(s) URL")
    mlflow_artifact: Optional[str] = Field(None, description="path inside the serving version's run artifacts")
    format: Optional[str] = Field(None, pattern="^(csv|parquet)$")

    @model_validator(mode="after")
    def _one_source(self) -> "ReferenceSpec":
        if (self.path is None) == (self.mlflow_artifact is None):
            raise ValueError("give exactly one of `path` or `mlflow_artifact`")
        return self


class CurrentSpec(_Strict):
    """The current data: a file or glob, or a SQL query, optionally cut to a time window."""

    path: Optional[str] = Field(None, description="CSV or Parquet: local path, glob or http(s) URL")
    sql: Optional[str] = Field(None, description="a SELECT returning the current rows")
    url: Optional[SecretStr] = Field(None, description="SQLAlchemy URL for `sql` (may hold a password)")
    format: Optional[str] = Field(None, pattern="^(csv|parquet)$")
    time_column: Optional[str] = Field(None, description="timestamp column that selects the window")
    window: str = Field("24h", description="default window ending now, e.g. 24h or 7d")

    @model_validator(mode="after")
    def _one_source(self) -> "CurrentSpec":
        if (self.path is None) == (self.sql is None):
            raise ValueError("give exactly one of `path` or `sql`")
        if self.sql is not None and self.url is None:
            raise ValueError("`sql` needs `url` (a SQLAlchemy database URL)")
        _duration_ok(self.window, "window")
        return self


class ModelDrift(_Strict):
    """One model's drift check."""

    reference: ReferenceSpec
    current: CurrentSpec
    columns: Optional[list[str]] = Field(None, description="test only these columns")
    exclude: list[str] = Field(default_factory=list, description="leave these columns out (ids, labels)")
    method: Optional[Method] = None
    num_method: Optional[Method] = None
    cat_method: Optional[Method] = None
    methods: dict[str, Method] = Field(default_factory=dict, description="column -> method")
    threshold: Optional[float] = None
    thresholds: dict[str, float] = Field(default_factory=dict, description="column -> threshold")
    drift_share: float = Field(0.5, gt=0, le=1)
    numerical: list[str] = Field(default_factory=list)
    categorical: list[str] = Field(default_factory=list)
    channel: Optional[str] = Field(None, description="where scheduled checks post (default: channels.drift)")
    interval: Optional[str] = Field(None, description="run a scheduled check this often, e.g. 1h; unset: never")
    registry_model: Optional[str] = Field(None, description="name in the model registry (default: this key)")
    alias: str = Field("champion", description="the alias that serves traffic")
    runbook: Optional[str] = Field(None, description="runbook offered by the Run runbook button, e.g. retrain")
    top: int = Field(3, ge=1, le=10, description="drivers shown and compared by scheduled checks")

    @field_validator("reference", "current", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return _path_shorthand(value)

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and _duration_ok(value, "interval") < timedelta(seconds=10):
            raise ValueError("interval must be at least 10s")
        return value

    def options(self) -> DriftOptions:
        """Return the comparison options (Evidently's defaults unless overridden here)."""
        return DriftOptions(drift_share=self.drift_share, method=self.method, num_method=self.num_method,
                            cat_method=self.cat_method, per_column_method=dict[str, str](self.methods),
                            threshold=self.threshold, per_column_threshold=self.thresholds,
                            columns=self.columns, exclude=self.exclude, numerical=self.numerical,
                            categorical=self.categorical)

    def interval_seconds(self) -> Optional[float]:
        """Return the scheduled check interval in seconds, or None when not scheduled."""
        return parse_duration(self.interval, "interval").total_seconds() if self.interval else None


class DriftConfig(_Strict):
    """The whole `drift:` section."""

    models: dict[str, ModelDrift] = Field(default_factory=dict)
    history: int = Field(12, ge=2, le=50, description="recent checks drawn in each driver's sparkline")
