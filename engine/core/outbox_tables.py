"""Tables of the outbox: pending notices and the Slack messages they became."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, DateTime, Index, String
from sqlmodel import Field, SQLModel


class OutboxItem(SQLModel, table=True):
    """A notice waiting to be sent (state pending), sent, superseded or failed."""

    __tablename__ = "outbox_item"
    __table_args__ = (Index("ix_outbox_item_state_due", "state", "due_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(String(200), nullable=False, index=True))
    channel: str = Field(sa_column=Column(String(80), nullable=False))
    template: str = Field(sa_column=Column(String(120), nullable=False))
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    thread_key: Optional[str] = Field(default=None, sa_column=Column(String(200)))
    state: str = Field(default="pending", sa_column=Column(String(16), nullable=False))
    attempts: int = 0
    last_error: Optional[str] = Field(default=None, sa_column=Column(String(500)))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class SlackMessage(SQLModel, table=True):
    """Where a notice key lives in Slack: channel and ts, so later notices edit it."""

    __tablename__ = "outbox_slack_message"

    key: str = Field(sa_column=Column(String(200), primary_key=True))
    channel: str = Field(sa_column=Column(String(80), nullable=False))
    ts: Optional[str] = Field(default=None, sa_column=Column(String(40)))
    # 'sending' while a chat.postMessage is in flight: a crash there is resolved on restart
    # by looking for the key in the channel's history instead of posting again.
    state: str = Field(default="sending", sa_column=Column(String(16), nullable=False))
    claimed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
