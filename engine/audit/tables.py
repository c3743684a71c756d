"""Audit tables: the events and the one-row chain head that serializes appends."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime
from sqlmodel import Field, SQLModel

from engine.audit.chain import GENESIS


class AuditEvent(SQLModel, table=True):
    """One recorded request, decision, step or result; `hash` covers every other field."""

    __tablename__ = "audit_event"

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str = Field(max_length=64)
    actor_name: str = Field(default="", max_length=200)
    action: str = Field(max_length=100, index=True)
    subject: str = Field(default="", max_length=200, index=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The chain head: last seq and hash. Locking this row serializes writers."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    hash: str = Field(default=GENESIS, max_length=64)
