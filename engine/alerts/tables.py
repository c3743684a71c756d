"""SQL tables of the alert pipeline: raw batches, alerts, incidents and decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, BigInteger, Column, DateTime, Float, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from engine.alerts.types import ALERTNAME_CHARS, SEVERITY_CHARS, TITLE_CHARS


def _dt(nullable: bool = True, **kw: Any) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable, **kw))


class AlertBatch(SQLModel, table=True):
    """A webhook body exactly as received, stored before the 2xx so a crash loses nothing."""

    __tablename__ = "alerts_batch"
    __table_args__ = (Index("ix_alerts_batch_pending", "processed_at"),)

    id: Optional[int] = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    # sha256 of source + body: a retried delivery of the same body is recognized, not reprocessed.
    digest: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    source: str = Field(sa_column=Column(String(64), nullable=False))
    receiver: str = Field(default="", sa_column=Column(String(200), nullable=False))
    group_key: Optional[str] = Field(default=None, sa_column=Column(Text))
    body: str = Field(sa_column=Column(Text, nullable=False))
    alert_count: int = 0
    deliveries: int = 1
    received_at: datetime = _dt(False)
    processed_at: Optional[datetime] = _dt()
    error: Optional[str] = Field(default=None, sa_column=Column(String(500)))
    # Failed retries; at alerts.dead_letter_after the batch is set aside (dead_at) for a person.
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    dead_at: Optional[datetime] = _dt()


class AlertRow(SQLModel, table=True):
    """The latest known state of one alert fingerprint."""

    __tablename__ = "alerts_alert"
    __table_args__ = (Index("ix_alerts_alert_incident", "incident_id"),)

    fingerprint: str = Field(sa_column=Column(String(128), primary_key=True))
    source: str = Field(sa_column=Column(String(64), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    # Not indexed: nothing looks alerts up by name, and a storm inserts a row per new alert.
    alertname: str = Field(default="", sa_column=Column(String(ALERTNAME_CHARS), nullable=False))
    labels: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    annotations: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    starts_at: datetime = _dt(False)
    ends_at: Optional[datetime] = _dt()
    first_seen_at: datetime = _dt(False)
    last_seen_at: datetime = _dt(False)
    resolved_at: Optional[datetime] = _dt()
    group_key: Optional[str] = Field(default=None, sa_column=Column(Text))
    incident_id: Optional[int] = Field(default=None, sa_column=Column(BigInteger))
    inhibited_by: Optional[str] = Field(default=None, sa_column=Column(String(128)))
    deliveries: int = 1
    flaps: int = 0
    repeat_resolves: int = 0
    last_decision: str = Field(default="", sa_column=Column(String(32), nullable=False))
    last_reason: str = Field(default="", sa_column=Column(String(500), nullable=False))


class IncidentRow(SQLModel, table=True):
    """An incident: its lifecycle, what correlates into it, and its notification state."""

    __tablename__ = "alerts_incident"
    __table_args__ = (Index("ix_alerts_incident_status", "status", "resolved_at"),)

    id: Optional[int] = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    title: str = Field(sa_column=Column(String(TITLE_CHARS), nullable=False))
    severity: str = Field(default="", sa_column=Column(String(SEVERITY_CHARS), nullable=False))
    channel: str = Field(sa_column=Column(String(80), nullable=False))
    opened_at: datetime = _dt(False)
    last_activity_at: datetime = _dt(False)
    # Correlation memory, kept on the incident so grouping never scans member alerts.
    group_keys: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    services: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    corr_keys: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    alertnames: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    inhibitors: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Which alerts fire is derived from alerts_alert; the old `firing` column stays in the
    # database, unused and nullable, until the contract migration drops it (see revision
    # b83f99bf7d51).
    alert_count: int = 0
    acked_at: Optional[datetime] = _dt()
    acked_by: Optional[str] = Field(default=None, sa_column=Column(String(120)))
    resolved_at: Optional[datetime] = _dt()
    resolved_by: Optional[str] = Field(default=None, sa_column=Column(String(120)))
    resolve_due_at: Optional[datetime] = _dt()
    snoozed_until: Optional[datetime] = _dt()
    reopen_count: int = 0
    flaps: int = 0
    posted: bool = False
    last_notified_at: Optional[datetime] = _dt()
    next_due_at: Optional[datetime] = _dt()
    silences: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Nullable with a default so the previous release, which does not know it, can still insert.
    sources: Optional[list[str]] = Field(default=None, sa_column=Column(JSON, nullable=True,
                                                                        server_default="[]"))
    thread_seq: int = 0
    # Nullable (expand step, revision 9a3c5e7f1b24): the previous release still inserts.
    thread_open: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON, nullable=True))
    recurrence_of: Optional[int] = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    recurrence_nth: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    # Nullable with defaults (expand step, revision 0c4f2a9e7d31): the previous release still inserts.
    lead: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON, nullable=True, server_default="{}"))
    commander: Optional[str] = Field(default=None, sa_column=Column(String(32)))
    commander_name: Optional[str] = Field(default=None, sa_column=Column(String(120)))


class IncidentMachineRow(SQLModel, table=True):
    """One machine key of an incident's correlation memory (model_keys: m|loc|..., m|mach|...) and its latest onset.

    The rest of the memory is the incident row's corr_keys; these are rows of their own so a storm
    across many hosts writes each new one once instead of rewriting them all with every batch.
    """

    __tablename__ = "alerts_incident_machine"

    incident_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    key: str = Field(sa_column=Column(Text, primary_key=True))
    at: float = Field(sa_column=Column(Float, nullable=False))


class DecisionRow(SQLModel, table=True):
    """One stage decision with its reason: what `/ops why` answers from."""

    __tablename__ = "alerts_decision"
    __table_args__ = (Index("ix_alerts_decision_fp", "fingerprint", "id"),
                      Index("ix_alerts_decision_incident", "incident_id", "id"))

    id: Optional[int] = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                                             primary_key=True, autoincrement=True))
    at: datetime = _dt(False)
    stage: str = Field(sa_column=Column(String(16), nullable=False))
    name: str = Field(sa_column=Column(String(32), nullable=False))
    reason: str = Field(sa_column=Column(String(500), nullable=False))
    fingerprint: Optional[str] = Field(default=None, sa_column=Column(String(128)))
    incident_id: Optional[int] = Field(default=None, sa_column=Column(BigInteger))
    next_due_at: Optional[datetime] = _dt()
    actor: Optional[str] = Field(default=None, sa_column=Column(String(120)))
    # An incident change's kind and facts, or the changes a notify decision weighed; the templates
    # word them. NULL for rows written before (their reason is the whole text) and plain decisions.
    facts: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON, nullable=True))


class AlertsGeneration(SQLModel, table=True):
    """One row whose counter every alert-state writer bumps: the write lock and cache validator."""

    __tablename__ = "alerts_generation"

    id: int = Field(default=1, sa_column=Column(Integer, primary_key=True, autoincrement=False))
    value: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
