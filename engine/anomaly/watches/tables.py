"""Watch state in SQL: per watch (muted, last run) and per series (detector state, alert state)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel


class AnomalyWatch(SQLModel, table=True):
    """One configured watch: whether it is muted and how its last run went."""

    __tablename__ = "anomaly_watch"

    name: str = Field(primary_key=True, max_length=63)
    muted: bool = False
    muted_by: str = Field(default="", max_length=120)
    muted_at: Optional[datetime] = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_run_at: Optional[datetime] = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_ok_at: Optional[datetime] = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_error: Optional[str] = Field(default=None, sa_column=Column(Text))
    last_score: Optional[float] = None  # highest score of the newest point across its series
    series_count: int = 0
    source_state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AnomalySeries(SQLModel, table=True):
    """One watched series: the detector's state, what it scored last and its alerts."""

    __tablename__ = "anomaly_series"
    __table_args__ = (Index("ix_anomaly_series_fingerprint", "fingerprint", unique=True),)

    id: Optional[int] = Field(default=None, primary_key=True)
    watch: str = Field(max_length=63, index=True)
    series_key: str = Field(max_length=64)  # sha256 of the series' labels, hex, truncated
    fingerprint: str = Field(max_length=120)  # the anomaly alert's fingerprint
    labels: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    detector_state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    last_ts: float = 0.0  # epoch seconds of the newest scored point
    last_score: float = 0.0
    scored_points: int = 0
    quiet_until_ts: float = 0.0  # points up to here are re-scored after feedback, never alerted
    firing: bool = False
    firing_since_ts: Optional[float] = None
    last_anomalous_ts: Optional[float] = None
    anomaly_state: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON))
    evidence: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON))
    forecast_firing: bool = False
    forecast: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON))
    useful: int = 0
    not_anomaly: int = 0


class AnomalyFeedback(SQLModel, table=True):
    """One click on "Useful" or "Not an anomaly" under an anomaly alert."""

    __tablename__ = "anomaly_feedback"

    id: Optional[int] = Field(default=None, primary_key=True)
    watch: str = Field(max_length=63, index=True)
    series_key: str = Field(max_length=64)
    fingerprint: str = Field(max_length=120)
    kind: str = Field(max_length=20)  # useful | not_anomaly
    actor_id: str = Field(max_length=64)
    actor_name: str = Field(default="", max_length=120)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    anomaly_ts: Optional[float] = None
