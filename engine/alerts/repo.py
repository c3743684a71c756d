"""Load and save pipeline state with bulk Core statements (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.alerts.dedup import REPEAT_REASON
from engine.alerts.tables import AlertRow, DecisionRow, IncidentRow
from engine.alerts.types import AlertState, Decision, Incident, IncidentStatus, Status
from engine.clock import utc

A = AlertRow.__table__
I = IncidentRow.__table__
D = DecisionRow.__table__

_INC_FIELDS = [c.name for c in I.columns if c.name != "id"]
_ALERT_FIELDS = [c.name for c in A.columns]


def _u(dt: datetime | None) -> datetime | None:
    return utc(dt) if dt is not None else None


def state_from_row(r: Any) -> AlertState:
    """Build an AlertState from an alerts_alert row."""
    return AlertState(
        fingerprint=r.fingerprint, status=Status(r.status), labels=r.labels, annotations=r.annotations,
        starts_at=utc(r.starts_at), ends_at=_u(r.ends_at), first_seen_at=utc(r.first_seen_at),
        last_seen_at=utc(r.last_seen_at), source=r.source, group_key=r.group_key,
        incident_id=r.incident_id, inhibited_by=r.inhibited_by, resolved_at=_u(r.resolved_at),
        deliveries=r.deliveries, flaps=r.flaps, repeat_resolves=r.repeat_resolves,
        last_decision=r.last_decision, last_reason=r.last_reason, dirty=False)


def incident_from_row(r: Any) -> Incident:
    """Build an Incident from an alerts_incident row."""
    kw = {f: getattr(r, f) for f in _INC_FIELDS}
    for f in ("opened_at", "last_activity_at", "acked_at", "resolved_at", "resolve_due_at",
              "snoozed_until", "last_notified_at", "next_due_at"):
        kw[f] = _u(kw[f])
    kw["status"] = IncidentStatus(kw["status"])
    for f in ("alertnames", "silences"):
        kw[f] = list(kw[f] or [])
    for f in ("group_keys", "services", "corr_keys", "inhibitors", "firing"):
        kw[f] = dict(kw[f] or {})
    return Incident(id=r.id, dirty=False, **kw)


def _incident_values(inc: Incident) -> dict[str, Any]:
    v = {f: getattr(inc, f) for f in _INC_FIELDS}
    v["status"] = inc.status.value
    return v


def _alert_values(s: AlertState) -> dict[str, Any]:
    return {"fingerprint": s.fingerprint, "source": s.source, "status": s.status.value,
            "alertname": s.labels.get("alertname", ""), "labels": s.labels,
            "annotations": s.annotations, "starts_at": s.starts_at, "ends_at": s.ends_at,
            "first_seen_at": s.first_seen_at, "last_seen_at": s.last_seen_at,
            "resolved_at": s.resolved_at, "group_key": s.group_key, "incident_id": s.incident_id,
            "inhibited_by": s.inhibited_by, "deliveries": s.deliveries, "flaps": s.flaps,
            "repeat_resolves": s.repeat_resolves, "last_decision": s.last_decision,
            "last_reason": s.last_reason[:500]}


async def load_alerts(s: AsyncSession, fingerprints: Iterable[str]) -> dict[str, AlertState]:
    """Return stored states for the given fingerprints."""
    fps = list(set(fingerprints))
    out: dict[str, AlertState] = {}
    for i in range(0, len(fps), 500):  # stay under SQLite's bound-parameter limit
        rows = (await s.execute(select(A).where(A.c.fingerprint.in_(fps[i:i + 500])))).all()
        out.update((r.fingerprint, state_from_row(r)) for r in rows)
    return out


async def load_candidates(s: AsyncSession, now: datetime, reopen_window_s: float,
                          extra_ids: Iterable[int] = ()) -> dict[int, Incident]:
    """Return open incidents, recently resolved ones, and any named by id."""
    since = now - timedelta(seconds=reopen_window_s)
    cond = or_(I.c.status != IncidentStatus.RESOLVED.value, I.c.resolved_at >= since)
    ids = [i for i in set(extra_ids) if i is not None and i > 0]
    if ids:
        cond = or_(cond, I.c.id.in_(ids))
    rows = (await s.execute(select(I).where(cond))).all()
    return {r.id: incident_from_row(r) for r in rows}


async def load_incident(s: AsyncSession, incident_id: int, *, lock: bool = False) -> Incident | None:
    """Return one incident, locking its row on PostgreSQL when asked."""
    q = select(I).where(I.c.id == incident_id)
    if lock:
        q = q.with_for_update()
    r = (await s.execute(q)).first()
    return incident_from_row(r) if r else None


def _upsert(dialect: str):
    return (postgresql if dialect == "postgresql" else sqlite).insert


async def insert_incidents(s: AsyncSession, new: list[Incident]) -> dict[int, int]:
    """Insert incidents that still carry a temp id; return temp id -> real id."""
    remap: dict[int, int] = {}
    for inc in new:
        new_id = (await s.execute(I.insert().values(**_incident_values(inc)).returning(I.c.id))).scalar_one()
        remap[inc.id] = new_id
        inc.id = new_id
    return remap


async def save(s: AsyncSession, dialect: str, alerts: Iterable[AlertState],
               incidents: Iterable[Incident]) -> None:
    """Write dirty alerts (upsert) and dirty incidents (update by id)."""
    changed = [i for i in incidents if i.dirty]
    # bindparam names must differ from column names in UPDATE .. SET, hence the prefix.
    upd = [{"b_" + k: v for k, v in _incident_values(i).items()} | {"b_id": i.id} for i in changed]
    if upd:
        stmt = update(I).where(I.c.id == bindparam("b_id")).values(
            {f: bindparam("b_" + f) for f in _INC_FIELDS})
        await s.execute(stmt, upd)
    rows = []
    touched: dict[tuple[int, datetime], list[str]] = {}
    for st in alerts:
        if st.dirty:
            rows.append(_alert_values(st))
            st.dirty, st.touched = False, 0
        elif st.touched:
            touched.setdefault((st.touched, st.last_seen_at), []).append(st.fingerprint)
            st.touched = 0
    for (n, seen), fps in touched.items():
        await s.execute(update(A).where(A.c.fingerprint.in_(fps)).values(
            deliveries=A.c.deliveries + n, last_seen_at=seen, last_decision="repeat_delivery",
            last_reason=REPEAT_REASON))
    if rows:
        ins = _upsert(dialect)(A)
        stmt = ins.on_conflict_do_update(index_elements=[A.c.fingerprint],
                                         set_={f: ins.excluded[f] for f in _ALERT_FIELDS if f != "fingerprint"})
        await s.execute(stmt, rows)
    for inc in changed:
        inc.dirty = False


async def save_decisions(s: AsyncSession, decisions: list[Decision], now: datetime,
                         remap: dict[int, int], actor: str | None = None) -> None:
    """Append decisions, translating temp incident ids."""
    if not decisions:
        return
    rows = [{"at": now, "stage": d.stage, "name": d.name, "reason": d.reason[:500],
             "fingerprint": d.fingerprint, "incident_id": remap.get(d.incident_id, d.incident_id)
             if d.incident_id is not None else None, "next_due_at": d.next_due_at, "actor": actor}
            for d in decisions]
    await s.execute(D.insert(), rows)
