"""Approval tables: one row per requested action (its frozen plan and state) and its votes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class ApprovalRequest(SQLModel, table=True):
    """A risky action waiting for, holding or past its approval; also its run record."""

    __tablename__ = "approvals_request"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)
    title: str = Field(max_length=200)
    env: str = Field(max_length=60)
    plan: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    plan_hash: str = Field(max_length=64)
    dry_run: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    requester: str = Field(max_length=64)
    requester_name: str = Field(default="", max_length=200)
    channel: str = Field(max_length=80)
    required: int = 0
    approver_roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    state: str = Field(max_length=20, index=True)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    progress: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    owner: str | None = Field(default=None, max_length=100)
    cancel_requested_by: str | None = Field(default=None, max_length=64)
    version: int = 0
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    lease_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    started_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class ApprovalVote(SQLModel, table=True):
    """One approver's decision; the unique key makes a double click one vote."""

    __tablename__ = "approvals_vote"
    __table_args__ = (UniqueConstraint("request_id", "user_id", name="uq_approvals_vote_user"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="approvals_request.id", index=True)
    user_id: str = Field(max_length=64)
    user_name: str = Field(default="", max_length=200)
    decision: str = Field(max_length=10)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
