"""The `runbooks` section of opsbot.yaml."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RunbooksConfig(BaseModel):
    """Where runbooks live and the limits their runs obey."""

    model_config = ConfigDict(extra="forbid")

    dirs: list[str] = Field(default_factory=list, description="directories of runbook YAML, relative to opsbot.yaml")
    channel: str | None = Field(default=None, description="approval channel; default channels.approvals")
    secret_names: list[str] = Field(default_factory=list,
                                    description="environment variables usable as ${secret:NAME}; values redacted")
    env_passthrough: list[str] = Field(default_factory=lambda: ["PATH", "LANG"],
                                       description="process environment variables command steps may allowlist")
    output_limit: int = Field(default=3000, ge=200, le=40000)
    lease_seconds: float = Field(default=30, gt=1, le=600)
    expire_job_seconds: float = Field(default=30, gt=0)
