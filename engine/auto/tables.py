"""Auto-remediation tables: each trigger's live mode and breaker, each firing, and the kill switch."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class AutoTrigger(SQLModel, table=True):
    """A trigger's state once it differs from its file: promoted, tripped or re-armed; its breaker count."""

    __tablename__ = "auto_trigger"

    trigger_id: str = Field(primary_key=True, max_length=120)  # <runbook>/<trigger name>
    mode: str = Field(max_length=10)
    source: str = Field(default="config", max_length=20)  # config | promoted | demoted | tripped | rearmed
    consecutive_failures: int = 0
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    version: int = 0
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class AutoFire(SQLModel, table=True):
    """One trigger matching one incident: what would run (shadow) or ran (auto), and how it ended.

    The unique key is what makes a trigger act once per incident, on every replica."""

    __tablename__ = "auto_fire"
    __table_args__ = (UniqueConstraint("trigger_id", "incident_id", name="uq_auto_fire_trigger_incident"),)

    id: int | None = Field(default=None, primary_key=True)
    trigger_id: str = Field(max_length=120, index=True)
    runbook: str = Field(max_length=80)
    incident_id: int = Field(index=True)
    mode: str = Field(max_length=10)  # what happened: shadow | auto
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    env: str = Field(default="", max_length=60)
    parameters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    plan_hash: str = Field(default="", max_length=64)
    dry_run: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    request_id: int | None = Field(default=None, index=True)
    outcome: str = Field(default="", max_length=20)  # "" while running | succeeded | failed | rolled_back | halted
    incident_opened_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    fired_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    settled_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class AutoSwitch(SQLModel, table=True):
    """The global kill switch (one row, id 1): while paused no automatic run starts or takes a next step."""

    __tablename__ = "auto_switch"

    id: int = Field(default=1, primary_key=True)
    paused: bool = False
    by: str = Field(default="", max_length=200)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
