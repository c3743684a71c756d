"""`opsbot.yaml`: the declarative settings, validated strictly at start."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from engine.alerts.config import AlertsConfig
from engine.anomaly.watches.config import WatchConfig, check_unique
from engine.audit.config import AuditConfig
from engine.core.config_errors import describe_all
from engine.auto.config import AutoConfig
from engine.drift.config import DriftConfig
from engine.errors import InvalidInput
from engine.models.config import ModelsConfig
from engine.oncall.config import OncallConfig
from engine.policy.config import PolicyConfig
from engine.rca.config import RcaConfig
from engine.runbooks.config import RunbooksConfig


class Strict(BaseModel):
    """Base for config sections: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class ChannelsConfig(Strict):
    """Where messages go by default, per family."""

    default: str = "ops"
    incidents: str | None = None
    models: str | None = None
    approvals: str | None = None
    drift: str | None = None

    def for_family(self, family: str) -> str:
        """Return the channel for a family, falling back to the default."""
        return getattr(self, family, None) or self.default


class OpsbotConfig(Strict):
    """The whole `opsbot.yaml`."""

    environment: str = Field(default="production", description="default environment of actions")
    channels: ChannelsConfig = Field(default_factory=ChannelsConfig)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    runbooks: RunbooksConfig = Field(default_factory=RunbooksConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    drift: DriftConfig = Field(default_factory=DriftConfig)
    models: ModelsConfig | None = Field(default=None, description="MLflow registry; absent = no model commands")
    rca: RcaConfig = Field(default_factory=RcaConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    auto: AutoConfig = Field(default_factory=AutoConfig, description="auto-remediation triggers and breaker")
    oncall: OncallConfig = Field(default_factory=OncallConfig, description="on-call schedules per team")
    watches: Annotated[list[WatchConfig], AfterValidator(check_unique)] = Field(
        default_factory=list, description="metric watches: anomaly detection and forecasts")


def parse_config(data: Any, source: str = "opsbot.yaml") -> OpsbotConfig:
    """Validate parsed YAML, raising InvalidInput naming the file, each key and what was expected."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput(f"{source}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        return OpsbotConfig.model_validate(data)
    except ValidationError as exc:
        problems = describe_all(exc)
        raise InvalidInput(f"{source}: {problems}", hint="fix the file and run `opsbot check`") from exc


def load_config(path: Path | None) -> OpsbotConfig:
    """Read and validate `opsbot.yaml`; no path means all defaults."""
    if path is None:
        return OpsbotConfig()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read config: {exc.strerror}", hint="check OPSBOT_CONFIG") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InvalidInput(f"{path}:{where} invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    config = parse_config(data, str(path))
    config_dir = Path(path).resolve().parent
    object.__setattr__(config, "_base_dir", config_dir)
    return config
