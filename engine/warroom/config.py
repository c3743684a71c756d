"""`alerts.incident_channel`: when and how Opsbot opens a channel for one incident."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator


class IncidentChannelConfig(BaseModel):
    """Which severities get a channel on their own, its name prefix, and who is invited."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="offer the Open incident channel button")
    auto_severities: list[str] = Field(default_factory=list,
                                       description="severities that get a channel as soon as they are posted")
    prefix: str = Field(default="inc", min_length=1, max_length=20, description="channel name prefix")
    invite_users: list[str] = Field(default_factory=list, description="Slack user ids always invited")
    invite_groups: list[str] = Field(default_factory=list,
                                     description="Slack user group ids (e.g. on-call) whose members are invited")
    max_attempts: int = Field(default=5, ge=1, le=50, description="tries before a request is given up")

    @field_validator("prefix")
    @classmethod
    def _slack_name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_\-]*", value):
            raise ValueError("lowercase letters, digits, - and _ only (a Slack channel name)")
        return value
