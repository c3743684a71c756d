"""Drift check history: one row per check, enough to draw trends and decide whether to post."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel


class DriftCheck(SQLModel, table=True):
    """One drift check of a model: its verdict, per-feature effects and whether it was posted."""

    __tablename__ = "drift_check"
    __table_args__ = (Index("ix_drift_check_model_id", "model", "id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    model: str = Field(max_length=255)
    trigger: str = Field(max_length=20)  # command | schedule | compare
    actor_id: str = Field(default="", max_length=64)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    window_label: str = Field(default="", max_length=40)
    window_start: Optional[datetime] = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    window_end: Optional[datetime] = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    ok: bool = True  # False: the check could not run (bad input); `error` says why
    error: Optional[str] = Field(default=None, sa_column=Column(Text))
    dataset_drift: bool = False
    share_drifted: float = 0.0
    n_features: int = 0
    n_drifted: int = 0
    # feature -> effect size (normed Wasserstein / Jensen-Shannon): what the sparklines draw
    scores: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    drivers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    fingerprint: str = Field(default="", max_length=1000)
    serving: Optional[list[int]] = Field(default=None, sa_column=Column(JSON))
    report: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON))  # DriftReport, for "Show all"
    posted: bool = False
