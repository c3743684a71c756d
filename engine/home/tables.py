"""Who opened Opsbot's Home tab (their tab is re-published when what it shows changes)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Column, DateTime, String
from sqlmodel import Field, SQLModel


class HomeViewer(SQLModel, table=True):
    """Someone who opened Opsbot's Home tab: re-published when their items change."""

    __tablename__ = "home_viewer"

    user_id: str = Field(sa_column=Column(String(64), primary_key=True))
    opened_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    published_at: Optional[datetime] = Field(default=None, sa_column=Column(DateTime(timezone=True)))
