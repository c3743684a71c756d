"""Gather a postmortem's facts from the store: the incident, its alerts and decisions, audit
events in its window (runbook runs, approvals, model alias moves, config changes), hypotheses
and people's verdicts, and notes (from audit events on the incident and any note sources)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Sequence

from sqlalchemy import or_, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.alerts import repo
from engine.alerts.tables import AlertRow, DecisionRow
from engine.audit.tables import AuditEvent
from engine.errors import NotFound
from engine.postmortem.types import Entry, Facts, Hypothesis
from engine.rca import view as rca_view
from engine.warroom.tables import IncidentChannelRow

# Audit actions that belong in an incident's timeline when they happen in its window.
WINDOW_ACTIONS = ("run.", "approval.", "model.", "config.", "runbook.")
WINDOW_LEAD = timedelta(hours=1)  # changes shortly before an incident are often its cause
MAX_AUDIT = 500
SHOWN_KEYS = ("title", "alias", "from", "to", "step", "status", "summary", "reason", "name", "kind", "env")

# Notes and other timeline entries another feature keeps (e.g. incident notes with a commander).
EntrySource = Callable[[AsyncSession, int], Awaitable[list[Entry]]]


def _utc(dt: datetime | None) -> datetime | None:
    from engine.core.clock import utc

    return utc(dt) if dt is not None else None


def describe(event: AuditEvent) -> str:
    """Return an audit event as one line: action, subject and its telling fields."""
    data = event.data or {}
    bits = [f"{k}={data[k]}" for k in SHOWN_KEYS if data.get(k) not in (None, "", [], {})]
    return f"{event.action} {event.subject}" + (f" ({', '.join(str(b)[:80] for b in bits)})" if bits else "")


def change_text(facts: dict[str, Any]) -> str:
    """Return an incident change's facts as the draft's text: a note's words, else its telling fields."""
    if facts.get("kind") == "note" and facts.get("text"):
        return str(facts["text"])
    def shown(k: str, v: Any) -> str:
        if isinstance(v, list):
            return ", ".join(map(str, v))
        if k == "at":  # the draft's times are UTC, as its Time column
            return f"{datetime.fromisoformat(str(v)):%Y-%m-%d %H:%M:%S} UTC"
        return str(v)

    bits = [f"{k}={shown(k, v)}" for k, v in facts.items() if k not in ("kind", "who") and v not in (None, "", [])]
    return ", ".join(b[:120] for b in bits)


def note_text(event: AuditEvent) -> str | None:
    """Return the text of a note recorded as an audit event on the incident, if it is one."""
    data = event.data or {}
    text = data.get("text") or data.get("note")
    return str(text) if isinstance(text, str) and text.strip() else None


async def collect(s: AsyncSession, incident_id: int, now: datetime,
                  sources: Sequence[EntrySource] = ()) -> Facts:
    """Return the facts of one incident, read in one session."""
    inc = await repo.load_incident(s, incident_id)
    if inc is None:
        raise NotFound(f"incident #{incident_id} does not exist", hint="see /ops incidents all")
    opened = _utc(inc.opened_at) or now
    end = _utc(inc.resolved_at) or now
    alerts = (await s.execute(select(AlertRow).where(col(AlertRow.incident_id) == incident_id))).scalars().all()
    start = min([opened, *(_utc(a.starts_at) or opened for a in alerts)])
    counts: dict[str, int] = {}
    timeline: list[Entry] = []
    notes: list[Entry] = []
    for a in alerts:
        counts[a.alertname] = counts.get(a.alertname, 0) + 1
        svc = ", ".join(f"{k}={v}" for k, v in sorted(a.labels.items()) if k in ("service", "instance"))
        timeline.append(Entry(_utc(a.starts_at) or opened, "alert", f"{a.alertname} firing" + (f" ({svc})" if svc else "")))
        if a.resolved_at is not None:
            timeline.append(Entry(_utc(a.resolved_at) or end, "alert", f"{a.alertname} resolved" + (f" ({svc})" if svc else "")))
    decisions = (await s.execute(select(DecisionRow).where(
        col(DecisionRow.incident_id) == incident_id,
        or_(col(DecisionRow.stage) == "lifecycle", col(DecisionRow.name) == "new_incident"))
        .order_by(col(DecisionRow.id)))).scalars().all()
    for d in decisions:
        kind = "posted" if d.name == "new_incident" else d.name
        facts = d.facts if isinstance(d.facts, dict) and "kind" in d.facts else None
        if facts is not None:  # a change stored as its facts: who acted, and the rest as key=value
            entry = Entry(_utc(d.at) or opened, kind, change_text(facts), str(facts.get("who") or d.actor or ""))
            if d.name == "note":  # Add note: its action items count
                notes.append(entry)
            timeline.append(entry)
            continue
        entry = Entry(_utc(d.at) or opened, kind, d.reason, d.actor or "")
        if d.name == "note":  # a row from before facts: "note by ann: todo: ..."
            said = d.reason.split(": ", 1)
            entry = Entry(entry.at, "note", said[1] if len(said) == 2 else d.reason, said[0].removeprefix("note by "))
            notes.append(entry)
        timeline.append(entry)
    events = (await s.execute(select(AuditEvent).where(
        col(AuditEvent.at) >= start - WINDOW_LEAD, col(AuditEvent.at) <= end,
        or_(col(AuditEvent.subject) == f"incident:{incident_id}",
            *(col(AuditEvent.action).startswith(p) for p in WINDOW_ACTIONS)))
        .order_by(col(AuditEvent.seq)).limit(MAX_AUDIT))).scalars().all()
    for e in events:
        who = e.actor_name or e.actor
        text = note_text(e) if e.subject == f"incident:{incident_id}" else None
        if text is not None:
            notes.append(Entry(_utc(e.at) or opened, "note", text, who))
            timeline.append(Entry(_utc(e.at) or opened, "note", text, who))
        else:
            timeline.append(Entry(_utc(e.at) or opened, e.action.split(".")[0], describe(e), who))
    for source in sources:
        for entry in await source(s, incident_id):
            timeline.append(entry)
            if entry.kind == "note":
                notes.append(entry)
    room = await s.get(IncidentChannelRow, incident_id)
    return Facts(incident_id=incident_id, title=inc.title, severity=inc.severity, status=inc.status.value,
                 opened_at=opened, resolved_at=_utc(inc.resolved_at), services=list(inc.services),
                 impact_start=start,
                 alert_counts=counts, acked_at=_utc(inc.acked_at), acked_by=inc.acked_by,
                 resolved_by=inc.resolved_by, channel=room.channel_name if room and room.state == "open" else None,
                 timeline=timeline, hypotheses=await _hypotheses(s, incident_id),
                 notes=sorted(notes, key=lambda n: n.at))


async def _hypotheses(s: AsyncSession, incident_id: int) -> list[Hypothesis]:
    row = await rca_view.newest_analysis(s, incident_id)
    if row is None:
        return []
    votes = await rca_view.votes_of(s, row)
    out = []
    for rank, h in enumerate(row.hypotheses, start=1):
        mine: list[Any] = [v for v in votes if v.rank == rank]
        out.append(Hypothesis(rank, str(h.get("name", "?")), float(h.get("confidence") or 0.0),
                              [v.user_name or v.user_id for v in mine if v.verdict == "confirmed"],
                              [v.user_name or v.user_id for v in mine if v.verdict == "wrong"]))
    return out
