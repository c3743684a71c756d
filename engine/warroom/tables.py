"""The incident channel of an incident (one row per incident that asked for one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import Column, DateTime, Integer, String
from sqlmodel import Field, SQLModel


def _dt(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class IncidentChannelRow(SQLModel, table=True):
    """requested -> creating -> open (or failed): the bot creates it, the engine records it."""

    __tablename__ = "warroom_channel"

    incident_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    state: str = Field(sa_column=Column(String(16), nullable=False))
    channel_id: Optional[str] = Field(default=None, sa_column=Column(String(32)))
    channel_name: Optional[str] = Field(default=None, sa_column=Column(String(80)))
    requested_by: str = Field(default="", sa_column=Column(String(64), nullable=False))
    requested_at: datetime = _dt(False)
    claimed_at: Optional[datetime] = _dt()
    opened_at: Optional[datetime] = _dt()
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    error: Optional[str] = Field(default=None, sa_column=Column(String(300)))
