"""SQL table of people's grouping corrections (Split and Merge on incident messages)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Integer, String
from sqlmodel import Field, SQLModel


class GroupingCorrection(SQLModel, table=True):
    """One split or merge: which incidents, which alert keys went where, who and when.

    The grouping statistics are rebuilt from these rows at startup (corrections.replay_corrections),
    so the row keeps both sides of the lesson: `keys_moved` (the split-out alerts, or the merged
    incident's) and `keys_other` (what stayed, or the target's).
    """

    __tablename__ = "alert_grouping_corrections"
    __table_args__ = (Index("ix_alert_grouping_corrections_source", "kind", "source_incident"),
                      Index("ix_alert_grouping_corrections_at", "at"))

    id: Optional[int] = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    kind: str = Field(sa_column=Column(String(8), nullable=False))  # split | merge
    source_incident: int = Field(sa_column=Column(BigInteger, nullable=False))
    target_incident: int = Field(sa_column=Column(BigInteger, nullable=False))
    keys_moved: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    keys_other: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    alerts_moved: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    actor: str = Field(sa_column=Column(String(120), nullable=False))
    actor_name: str = Field(default="", sa_column=Column(String(120), nullable=False))
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
