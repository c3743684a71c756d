"""Root-cause tables: change events posted to the webhook, analyses shown, and people's verdicts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, DateTime, Float, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def _dt(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class ChangeRow(SQLModel, table=True):
    """A deploy or configuration change posted to POST /webhooks/changes."""

    __tablename__ = "rca_change"
    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_rca_change_source_id"),
                      Index("ix_rca_change_at", "at"))

    id: Optional[int] = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    source: str = Field(sa_column=Column(String(64), nullable=False))
    # The sender's id, or a digest of the change: a retried delivery is recognised, not doubled.
    external_id: str = Field(sa_column=Column(String(128), nullable=False))
    service: str = Field(sa_column=Column(String(100), nullable=False))
    kind: str = Field(sa_column=Column(String(40), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    url: Optional[str] = Field(default=None, sa_column=Column(String(1000)))
    at: datetime = _dt(False)
    received_at: datetime = _dt(False)


class AnalysisRow(SQLModel, table=True):
    """One "Show hypotheses" answer: the ranked hypotheses exactly as posted."""

    __tablename__ = "rca_analysis"
    __table_args__ = (Index("ix_rca_analysis_incident", "incident_id", "id"),)

    id: Optional[int] = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    incident_id: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = _dt(False)
    requested_by: str = Field(default="", sa_column=Column(String(120), nullable=False))
    onset: datetime = _dt(False)
    top_confidence: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    likely_cause: Optional[str] = Field(default=None, sa_column=Column(String(300)))
    hypotheses: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    signals: int = 0
    elapsed_ms: int = 0
    services: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    problems: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=True))


class FeedbackRow(SQLModel, table=True):
    """A person's verdict on one hypothesis; a second click by the same person replaces it."""

    __tablename__ = "rca_feedback"
    __table_args__ = (UniqueConstraint("analysis_id", "rank", "user_id", name="uq_rca_feedback_user"),)

    id: Optional[int] = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    analysis_id: int = Field(sa_column=Column(Integer, nullable=False, index=True))
    incident_id: int = Field(sa_column=Column(Integer, nullable=False))
    rank: int = Field(sa_column=Column(Integer, nullable=False))  # 1-based position of the hypothesis
    name: str = Field(sa_column=Column(String(300), nullable=False))
    verdict: str = Field(sa_column=Column(String(16), nullable=False))  # confirmed | wrong
    user_id: str = Field(sa_column=Column(String(64), nullable=False))
    user_name: str = Field(default="", sa_column=Column(String(200), nullable=False))
    at: datetime = _dt(False)
