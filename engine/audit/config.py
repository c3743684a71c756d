"""The `audit:` section of opsbot.yaml: where the chain head is published outside the database."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AuditConfig(BaseModel):
    """Where and how often the audit head is anchored outside the database.

    The head is always written to the log (`audit anchor SEQ:HASH`), which a log pipeline
    usually ships out of the database's reach. A file and a Slack channel are opt-in: only the
    operator knows a place that survives restarts and that a database writer cannot edit.
    """

    model_config = ConfigDict(extra="forbid")

    anchor_file: str | None = Field(default=None, description="append-only JSON lines; relative to opsbot.yaml")
    anchor_channel: str | None = Field(default=None, description="Slack channel that gets each new anchor")
    anchor_interval_s: float = Field(default=300.0, ge=1.0, description="seconds between publications")
