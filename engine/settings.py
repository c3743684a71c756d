"""Engine settings from the environment: where the store and the outside systems are."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EngineSettings(BaseSettings):
    """URLs and paths the engine needs; loaded once in the composition root."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    database_url: str | None = Field(default=None, validation_alias="OPSBOT_DATABASE_URL")
    config_path: Path | None = Field(default=None, validation_alias="OPSBOT_CONFIG")
    mlflow_tracking_uri: str | None = Field(default=None, validation_alias="MLFLOW_TRACKING_URI")
    prometheus_url: str | None = Field(default=None, validation_alias="OPSBOT_PROMETHEUS_URL")
    alertmanager_url: str | None = Field(default=None, validation_alias="OPSBOT_ALERTMANAGER_URL")
    replica_id: str | None = Field(default=None, validation_alias="OPSBOT_REPLICA_ID")
    request_timeout_s: float = Field(default=10.0, validation_alias="OPSBOT_REQUEST_TIMEOUT")
