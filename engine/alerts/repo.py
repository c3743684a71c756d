"""Load and save pipeline state with bulk Core statements (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import JSON, DateTime, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.alerts import corr_store
from engine.store.bulk import Bulk, js, json_rows, json_rows_sql
from engine.alerts.counters import PendingCounters
from engine.alerts.dedup import Dedup
from engine.alerts.tables import AlertRow, DecisionRow, IncidentRow
from engine.alerts.types import AlertState, Decision, Incident, IncidentStatus, Status
from engine.core.bounds import ID_MAX
from engine.core.clock import utc

A = AlertRow.__table__
I = IncidentRow.__table__
D = DecisionRow.__table__

_INC_FIELDS = [c.name for c in I.columns if c.name != "id"]
NEW = Dedup.NEW.value
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
        last_decision=r.last_decision, last_reason=r.last_reason, dirty=False,
        written_repeat_resolves=r.repeat_resolves)


def incident_from_row(r: Any) -> Incident:
    """Build an Incident from an alerts_incident row."""
    kw = {f: getattr(r, f) for f in _INC_FIELDS}
    for f in ("opened_at", "last_activity_at", "acked_at", "resolved_at", "resolve_due_at",
              "snoozed_until", "last_notified_at", "next_due_at"):
        kw[f] = _u(kw[f])
    kw["status"] = IncidentStatus(kw["status"])
    for f in ("alertnames", "silences", "sources"):
        kw[f] = list(kw[f] or [])
    for f in ("group_keys", "services", "corr_keys", "inhibitors", "lead"):
        kw[f] = dict(kw[f] or {})
    return Incident(id=r.id, dirty=False, **kw)


async def attach_firing(s: AsyncSession, incidents: Iterable[Incident]) -> None:
    """Fill each incident's firing set from the alerts that fire in it (the stored truth)."""
    by_id = {i.id: i for i in incidents}
    ids = list(by_id)
    for i in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        rows = (await s.execute(select(A.c.incident_id, A.c.fingerprint, A.c.group_key).where(
            A.c.incident_id.in_(ids[i:i + 500]), A.c.status == Status.FIRING.value))).all()
        for inc_id, fp, gk in rows:
            by_id[inc_id].add_firing(fp, gk or "")


def _incident_values(inc: Incident) -> dict[str, Any]:
    v = {f: getattr(inc, f) for f in _INC_FIELDS}
    v["status"] = inc.status.value
    v["corr_keys"] = corr_store.settle(inc).shared  # machine keys are rows of their own (corr_store.write)
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


async def all_fingerprints(s: AsyncSession, limit: int) -> set[str] | None:
    """Return every stored alert fingerprint, or None when there are more than `limit`."""
    rows = (await s.execute(select(A.c.fingerprint).limit(limit + 1))).scalars().all()
    return set(rows) if len(rows) <= limit else None


async def load_candidates(s: AsyncSession, now: datetime, reopen_window_s: float,
                          extra_ids: Iterable[int] = ()) -> dict[int, Incident]:
    """Return open incidents, recently resolved ones, and any named by id."""
    since = now - timedelta(seconds=reopen_window_s)
    cond = or_(I.c.status != IncidentStatus.RESOLVED.value, I.c.resolved_at >= since)
    ids = [i for i in set(extra_ids) if i is not None and i > 0]
    if ids:
        cond = or_(cond, I.c.id.in_(ids))
    rows = (await s.execute(select(I).where(cond))).all()
    out = {r.id: incident_from_row(r) for r in rows}
    await attach_firing(s, out.values())
    await corr_store.attach(s, out.values())
    return out


async def load_incident(s: AsyncSession, incident_id: int, *, lock: bool = False) -> Incident | None:
    """Return one incident, locking its row on PostgreSQL when asked."""
    if not 0 < incident_id <= ID_MAX:  # names no row, and PostgreSQL would refuse the number
        return None
    q = select(I).where(I.c.id == incident_id)
    if lock:
        q = q.with_for_update()
    r = (await s.execute(q)).first()
    if r is None:
        return None
    inc = incident_from_row(r)
    await attach_firing(s, [inc])
    await corr_store.attach(s, [inc])
    return inc


async def insert_incidents(s: AsyncSession, new: list[Incident]) -> dict[int, int]:
    """Insert incidents that still carry a temp id; return temp id -> real id."""
    remap: dict[int, int] = {}
    for inc in new:
        new_id = (await s.execute(I.insert().values(**_incident_values(inc)).returning(I.c.id))).scalar_one()
        remap[inc.id] = new_id
        inc.id = new_id
    await corr_store.write(await Bulk.of(s), new)
    return remap


_INC_UPDATE = f"UPDATE alerts_incident SET {', '.join(f + ' = ?' for f in _INC_FIELDS)} WHERE id = ?"
_INC_JSON = frozenset(c.name for c in I.columns if isinstance(c.type, JSON))
_INC_TIME = frozenset(c.name for c in I.columns if isinstance(c.type, DateTime))


def _incident_row(b: Bulk, inc: Incident) -> tuple:
    v = _incident_values(inc)
    return (*(js(v[f]) if f in _INC_JSON else b.ts(v[f]) if f in _INC_TIME else v[f]
              for f in _INC_FIELDS), inc.id)


_ALERT_UPSERT = (
    f"INSERT INTO alerts_alert ({', '.join(_ALERT_FIELDS)}) VALUES ({', '.join('?' * len(_ALERT_FIELDS))}) "
    f"ON CONFLICT (fingerprint) DO UPDATE SET "
    + ", ".join(f"{f} = excluded.{f}" for f in _ALERT_FIELDS if f != "fingerprint"))
_DECISION_INSERT = ("INSERT INTO alerts_decision (at, stage, name, reason, fingerprint, incident_id, "
                    "next_due_at, actor, facts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")

_ALERT_UPSERT_PG = json_rows_sql(_ALERT_UPSERT, A, _ALERT_FIELDS)
# PostgreSQL: the transaction's time and actor travel once, and each distinct reason once ($4, a
# JSON array the rows index into): a storm's alerts share a few verdicts, so rows shrink from
# about 230 bytes to 60 and the server parses a quarter of the JSON. OFFSET 0 keeps the one-row
# subquery from being pulled up, so $4 is read once, not per row. No length casts: a value too
# long fails the insert instead of being cut (as json_rows_sql).
_DECISION_INSERT_PG = (
    "INSERT INTO alerts_decision (at, stage, name, reason, fingerprint, incident_id, next_due_at, actor, facts) "
    "SELECT $2::timestamptz, e->>0, e->>1, t.texts->>((e->>2)::int), e->>3, (e->>4)::bigint, "
    "(e->>5)::timestamptz, $3::text, (e->>6)::json "
    "FROM jsonb_array_elements($1::jsonb) AS e CROSS JOIN (SELECT $4::jsonb AS texts OFFSET 0) AS t")

def _alert_row(b: Bulk, st: AlertState) -> tuple:
    # Built field by field in _ALERT_FIELDS order (checked below): a storm writes a row per alert.
    ts = b.ts
    return (st.fingerprint, st.source, st.status._value_, st.labels.get("alertname", ""), js(st.labels),
            js(st.annotations), ts(st.starts_at), ts(st.ends_at), ts(st.first_seen_at), ts(st.last_seen_at),
            ts(st.resolved_at), st.group_key, st.incident_id, st.inhibited_by, st.deliveries, st.flaps,
            st.repeat_resolves, st.last_decision, st.last_reason[:500])


assert _ALERT_FIELDS == ["fingerprint", "source", "status", "alertname", "labels", "annotations", "starts_at",
                         "ends_at", "first_seen_at", "last_seen_at", "resolved_at", "group_key", "incident_id",
                         "inhibited_by", "deliveries", "flaps", "repeat_resolves", "last_decision",
                         "last_reason"], "_alert_row's order must follow the alerts_alert columns"


async def save(s: AsyncSession, alerts: Iterable[AlertState], incidents: Iterable[Incident],
               held: PendingCounters, now: datetime) -> None:
    """Write dirty alerts (upsert) and dirty incidents (update by id); hold repeat counters."""
    changed = [i for i in incidents if i.dirty]
    b = await Bulk.of(s)
    await b.executemany(_INC_UPDATE, [_incident_row(b, i) for i in changed])
    await corr_store.write(b, changed)
    rows = []
    for st in alerts:
        if st.dirty:
            rows.append(_alert_row(b, st))
            st.dirty, st.touched, st.written_repeat_resolves = False, 0, st.repeat_resolves
            held.written(st.fingerprint)
        elif st.touched:
            held.hold(st, now)  # written behind, by the caller (AlertStore.flush_counters)
    await b.insert_many(_ALERT_UPSERT, _ALERT_UPSERT_PG, rows)
    for inc in changed:
        inc.dirty = False


def stored(d: Decision) -> bool:
    """Return whether a decision is written: a fingerprint's first firing ("dedup new") is not.

    The alert row says it (its first_seen_at, and no "resolved_unseen" row before), and `/ops why`
    shows it from there (queries.py); in a storm's onset it was half the decision rows, each an entry
    in the fingerprint index.
    """
    return d.name != NEW or d.stage != "dedup"


_TEMP_REF = re.compile(r"#(-\d+)")


def real_ids(reason: str, remap: dict[int, int]) -> str:
    """Return a reason with every "#-N" (an incident opened in this transaction) as its stored id."""
    if not remap or "#-" not in reason:
        return reason
    return _TEMP_REF.sub(lambda m: f"#{remap.get(int(m.group(1)), m.group(1))}", reason)


async def save_decisions(s: AsyncSession, decisions: list[Decision], now: datetime,
                         remap: dict[int, int], actor: str | None = None) -> None:
    """Append decisions, translating temp incident ids (a first firing is not stored: see stored)."""
    if not decisions:
        return
    if remap:
        # A grouping reason scored against an incident this transaction opened names its temp id.
        decisions = [d if "#-" not in d.reason else replace(d, reason=real_ids(d.reason, remap))
                     for d in decisions]
    b = await Bulk.of(s)
    # The filter is stored(d), inline: a storm's transaction weighs about two decisions per alert.
    if b.pg:
        texts: dict[str, int] = {}
        code = texts.setdefault
        coded = [(d.stage, d.name, code(d.reason[:500], len(texts)), d.fingerprint,
                  remap.get(d.incident_id, d.incident_id) if d.incident_id is not None else None,
                  d.next_due_at, js(d.facts) if d.facts is not None else None)
                 for d in decisions if d.name != NEW or d.stage != "dedup"]
        if coded:
            await b.driver.execute(_DECISION_INSERT_PG, json_rows(coded), now, actor, js(list(texts)))
        return
    at, ts = b.ts(now), b.ts
    rows = [(at, d.stage, d.name, d.reason[:500], d.fingerprint,
             remap.get(d.incident_id, d.incident_id) if d.incident_id is not None else None,
             None if d.next_due_at is None else ts(d.next_due_at), actor,
             js(d.facts) if d.facts is not None else None)
            for d in decisions if d.name != NEW or d.stage != "dedup"]
    await b.insert_many(_DECISION_INSERT, _DECISION_INSERT_PG, rows)
