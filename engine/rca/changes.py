"""Change events: deploys and config changes from POST /webhooks/changes, plus the bot's own
records (model alias moves, runbook runs), read as ranker `ChangeEvent`s around an onset."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from engine.approvals.tables import ApprovalRequest
from engine.core.clock import Clock, utc
from engine.errors import InvalidInput
from engine.models.tables import DONE, AliasChange
from engine.rca.config import RcaConfig
from engine.rca.tables import ChangeRow
from engine.rca.types import ChangeEvent
from engine.store.db import Database, table_of

MAX_BODY_BYTES = 262_144
MAX_CHANGES = 500


class ChangeIn(BaseModel):
    """One change in the webhook body."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9.:-]*$")
    kind: str = Field(default="deploy", min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_-]*$")
    at: AwareDatetime
    description: str = Field(default="", max_length=2000)
    id: str | None = Field(default=None, min_length=1, max_length=128)
    url: str | None = Field(default=None, max_length=1000)


class ChangesBody(BaseModel):
    """The POST /webhooks/changes body."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, max_length=64)
    changes: list[ChangeIn] = Field(min_length=1, max_length=MAX_CHANGES)


@dataclass(frozen=True)
class ReceiveResult:
    """How many changes a body held and how many were new."""

    received: int
    stored: int


def parse_body(body: bytes) -> ChangesBody:
    """Validate a webhook body, naming the first problem."""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidInput(f"body is {len(body)} bytes, limit is {MAX_BODY_BYTES}")
    try:
        return ChangesBody.model_validate_json(body)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(p) for p in e["loc"]) or "body"
        raise InvalidInput(f"{where}: {e['msg']}", hint="see the change webhook schema in docs/rca.md") from exc


def _external_id(c: ChangeIn) -> str:
    if c.id:
        return c.id
    raw = json.dumps([c.service, c.kind, c.at.isoformat(), c.description], separators=(",", ":"))
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()[:48]


class ChangeLog:
    """Stores posted changes and reads every kind of change event around an onset."""

    def __init__(self, db: Database, cfg: RcaConfig, clock: Clock) -> None:
        self.db, self.cfg, self.clock = db, cfg, clock

    async def receive(self, body: bytes) -> ReceiveResult:
        """Validate and store a webhook body; retried changes (same source and id) are kept once."""
        doc = parse_body(body)
        now = self.clock.now()
        rows: list[dict[str, Any]] = [
            {"source": doc.source, "external_id": _external_id(c), "service": c.service, "kind": c.kind,
             "description": c.description, "url": c.url, "at": utc(c.at), "received_at": now}
            for c in doc.changes]
        dialect = postgresql if self.db.dialect == "postgresql" else sqlite
        stored = 0
        # One lock order for every body: concurrent deliveries naming the same changes in another
        # order would otherwise deadlock on PostgreSQL's unique index and be refused with a 5xx.
        rows = sorted({r["external_id"]: r for r in rows}.values(), key=lambda r: r["external_id"])
        async with self.db.session() as s:
            for row in rows:
                stmt = dialect.insert(table_of(ChangeRow)).values(**row).on_conflict_do_nothing(
                    index_elements=["source", "external_id"])
                stored += (await s.exec(stmt)).rowcount or 0
        return ReceiveResult(len(doc.changes), stored)

    async def around(self, start: datetime, end: datetime
                     ) -> tuple[list[ChangeEvent], dict[ChangeEvent, dict[str, Any]]]:
        """Return change events in [start, end] and, per event, what a follow-up action needs."""
        events: list[ChangeEvent] = []
        meta: dict[ChangeEvent, dict[str, Any]] = {}
        async with self.db.session() as s:
            change_at = col(ChangeRow.at)
            for r in (await s.execute(select(ChangeRow).where(change_at >= start, change_at <= end)
                                      .order_by(change_at).limit(1000))).scalars():
                ev = ChangeEvent(utc(r.at).timestamp(), r.service, r.kind, r.description or f"from {r.source}")
                events.append(ev)
                meta[ev] = {"source": r.source, "url": r.url}
            confirmed, created = col(AliasChange.confirmed_at), col(AliasChange.created_at)
            moved = (await s.execute(select(AliasChange).where(
                col(AliasChange.state) == DONE, or_(and_(confirmed >= start, confirmed <= end),
                                                    and_(created >= start, created <= end)))
                .order_by(col(AliasChange.id)).limit(500))).scalars().all()
            for c in moved:
                at = utc(c.confirmed_at or c.created_at)
                kind = "model promotion" if c.kind != "rollback" else "model rollback"
                who = c.actor_name or c.actor_id
                ev = ChangeEvent(at.timestamp(), self.cfg.models.get(c.model, c.model), kind,
                                 f"{c.model} {c.alias} {_move(c.from_version, c.to_version)} by {who}")
                events.append(ev)
                meta[ev] = {"model": c.model, "alias": c.alias, "from_version": c.from_version,
                            "to_version": c.to_version, "move": c.kind}
            started = col(ApprovalRequest.started_at)
            runs = (await s.execute(select(ApprovalRequest).where(
                col(ApprovalRequest.kind) == "runbook", started >= start, started <= end).limit(500))).scalars().all()
            for r in runs:
                service = str((r.plan.get("parameters") or {}).get("service") or "")
                if not service:
                    continue  # a run that names no service cannot be placed on the graph
                ev = ChangeEvent(utc(r.started_at).timestamp(), service, "runbook run",
                                 f"{r.title} (request #{r.id}, {r.state})")
                events.append(ev)
                meta[ev] = {"request_id": r.id}
        return events, meta


def _move(before: int | None, after: int | None) -> str:
    """Say an alias move in versions: "v1 -> v2", "set to v2" (a new alias), "removed (was v2)"."""
    if before is None:
        return f"set to v{after}"
    return f"v{before} -> v{after}" if after is not None else f"removed (was v{before})"
