"""Model lifecycle tables: every alias change (ours and outside ones) and what the watch last saw."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel

OUTSIDE_ACTOR = "unknown (outside opsbot)"
INTENT, DONE, FAILED = "intent", "done", "failed"


class AliasChange(SQLModel, table=True):
    """One alias change: intent first, then done or failed; outside changes are recorded done."""

    __tablename__ = "models_alias_change"
    __table_args__ = (Index("ix_models_alias_change_model_alias", "model", "alias", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    model: str = Field(max_length=255)
    alias: str = Field(max_length=255)
    from_version: int | None = None
    to_version: int | None = None  # None: the alias was deleted
    kind: str = Field(max_length=20)  # promote | rollback | outside
    state: str = Field(max_length=10, index=True)  # intent | done | failed
    actor_id: str = Field(max_length=64)
    actor_name: str = Field(default="", max_length=200)
    approval_id: int | None = None
    approvals: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    gates: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    override_reason: str | None = Field(default=None, sa_column=Column(Text))
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    confirmed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class SeenAlias(SQLModel, table=True):
    """The alias -> version mapping as opsbot last knew it (moved by us or seen by the watch)."""

    __tablename__ = "models_seen_alias"

    model: str = Field(primary_key=True, max_length=255)
    alias: str = Field(primary_key=True, max_length=255)
    version: int
    seen_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class WatchState(SQLModel, table=True):
    """Per model: the highest version announced and versions still registering."""

    __tablename__ = "models_watch_state"

    model: str = Field(primary_key=True, max_length=255)
    max_version: int = 0
    pending: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    registry_updated_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    seen_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
