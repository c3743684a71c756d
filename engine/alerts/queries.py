"""Read side of alerts: incident lists, one incident, `/ops why` and `/ops stats`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import Row, desc, select

from engine.alerts import corr_store, dead_letter, repo
from engine.alerts.card import stored_facts
from engine.alerts.config import AlertsConfig
from engine.alerts.counters import PendingCounters
from engine.alerts.dedup import NEW_REASON, Dedup
from engine.alerts.types import AlertState, Incident, IncidentStatus
from engine.core.bounds import check_period_days, parse_int
from engine.core.clock import Clock, utc
from engine.errors import InvalidInput, NotFound
from engine.store.db import Database

A, I, D = repo.A, repo.I, repo.D


@dataclass
class IncidentDetail:
    """An incident with its member alerts and its latest decisions."""

    incident: Incident
    alerts: list[AlertState]
    decisions: list[dict]


@dataclass
class WhyAnswer:
    """Which decisions applied to an alert or incident, and when it is next due."""

    subject: str
    decisions: list[dict]
    next_due_at: datetime | None
    state: dict = field(default_factory=dict)


@dataclass
class Stats:
    """Alert-handling figures over a period."""

    days: int
    alerts_in: int
    distinct_alerts: int
    incidents: int
    compression: float
    mtta_s: float | None
    mttr_s: float | None
    noisiest: list[tuple[str, int]]
    dead_letter: int = 0  # stored batches set aside after failing every retry (all time)


def _n(n: int, one: str, many: str = "") -> str:
    # "1 delivery", "4 deliveries": `/ops why` states counts as a person would.
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _decision(r) -> dict:  # noqa: ANN001 - a Row
    return {"at": utc(r.at).isoformat(), "stage": r.stage, "name": r.name, "reason": r.reason,
            "fingerprint": r.fingerprint, "incident_id": r.incident_id, "actor": r.actor,
            "next_due_at": utc(r.next_due_at).isoformat() if r.next_due_at else None, "facts": stored_facts(r.facts)}


def _first_firing(row: Row[Any], ds: Sequence[Row[Any]], limit: int) -> list[dict[str, Any]]:
    """Return the unstored "dedup new" decision of an alert (repo.stored) when it is among its latest.

    A fingerprint's first delivery is "new" when it fired, "resolved_unseen" (a stored row) when
    it did not; it is the oldest decision of the fingerprint, so it shows only when fewer than
    `limit` later ones were found. Rows written before it stopped being stored show themselves.
    """
    if len(ds) >= limit or any(r.stage == "dedup" and r.name in (Dedup.NEW.value, Dedup.RESOLVED_UNSEEN.value)
                               for r in ds):
        return []
    return [{"at": utc(row.first_seen_at).isoformat(), "stage": "dedup", "name": Dedup.NEW.value,
             "reason": NEW_REASON, "fingerprint": row.fingerprint, "incident_id": None, "actor": None,
             "next_due_at": None, "facts": None}]


class AlertQueries:
    """Answers questions about alerts from the store."""

    def __init__(self, db: Database, cfg: AlertsConfig, clock: Clock,
                 held: PendingCounters | None = None) -> None:
        self.db, self.cfg, self.clock = db, cfg, clock
        self.held = held  # this process's repeat counters not yet written (counters.py)

    async def incidents(self, which: str = "open", limit: int = 20) -> list[Incident]:
        """Return open (or all) incidents, newest first."""
        if which not in ("open", "all"):
            raise InvalidInput(f"unknown incident filter {which!r}", hint="use `open` or `all`")
        q = select(I).order_by(desc(I.c.id)).limit(limit)
        if which == "open":
            q = q.where(I.c.status != IncidentStatus.RESOLVED.value)
        async with self.db.session() as s:
            out = [repo.incident_from_row(r) for r in (await s.execute(q)).all()]
            await repo.attach_firing(s, out)
            await corr_store.attach(s, out)
            return out

    async def incident(self, incident_id: int, decisions: int = 15) -> IncidentDetail:
        """Return one incident with its alerts and recent decisions, or raise NotFound."""
        async with self.db.session() as s:
            inc = await repo.load_incident(s, incident_id)
            if inc is None:
                raise NotFound(f"incident #{incident_id} does not exist", hint="see /ops incidents all")
            rows = (await s.execute(select(A).where(A.c.incident_id == incident_id)
                                    .order_by(A.c.first_seen_at).limit(200))).all()
            ds = (await s.execute(select(D).where(D.c.incident_id == incident_id)
                                  .order_by(desc(D.c.id)).limit(decisions))).all()
        return IncidentDetail(inc, [repo.state_from_row(r) for r in rows], [_decision(r) for r in ds])

    async def why(self, target: str) -> WhyAnswer:
        """Explain the decisions behind an incident id (`42`, `#42`) or an alert fingerprint."""
        t = target.strip().lstrip("#")
        if t.isascii() and t.isdigit():
            d = await self.incident(parse_int(t, "incident id", hint="give an incident id such as 42 or a "
                                              "fingerprint from the incident thread"), decisions=6)
            inc = d.incident
            # The latest incident-level decisions first (people's actions, lifecycle, messages), then
            # the grouping ones: each names the features and scores of the chosen and the runner-up
            # candidate for one alert, so a long storm's grouping lines must not hide an acknowledgement.
            async with self.db.session() as s:
                gs = (await s.execute(select(D).where(D.c.incident_id == inc.id, D.c.stage.in_(("group", "inhibit")))
                                      .order_by(desc(D.c.id)).limit(6))).all()
                grouped = [_decision(r) for r in gs]
                rest = [x for x in d.decisions if x["stage"] not in ("group", "inhibit")]
                await self._name_alerts(s, grouped + rest, inc.id)
            return WhyAnswer(f"incident #{inc.id}", rest + grouped, inc.next_due_at, {
                "status": inc.status.value, "snoozed_until": inc.snoozed_until.isoformat() if inc.snoozed_until and inc.is_open
                else None, "silences": inc.silences, "resolve_due_at": inc.resolve_due_at.isoformat()
                if inc.resolve_due_at and inc.is_open else None, "recurrence_of": f"#{inc.recurrence_of}"
                if inc.recurrence_of is not None else None, "flaps": inc.flaps})
        async with self.db.session() as s:
            row = (await s.execute(select(A).where(A.c.fingerprint == t))).first()
            if row is None:
                raise NotFound(f"no alert with fingerprint {t!r}", hint="`/ops incident <id>` shows a fingerprint for each alert name")
            ds = (await s.execute(select(D).where(D.c.fingerprint == t).order_by(desc(D.c.id)).limit(8))).all()
            inc = await repo.load_incident(s, row.incident_id) if row.incident_id else None
            nd = (await s.execute(select(D).where(D.c.incident_id == row.incident_id, D.c.stage == "notify")
                                  .order_by(desc(D.c.id)).limit(1))).all() if inc else []
        st = self.held.overlay(repo.state_from_row(row)) if self.held else repo.state_from_row(row)
        decisions = [{"at": st.last_seen_at.isoformat(), "stage": "dedup", "name": st.last_decision,
                      "reason": f"latest delivery: {st.last_reason} ({_n(st.deliveries, 'delivery', 'deliveries')}, "
                                f"{_n(st.flaps, 'flap')}, {_n(st.repeat_resolves, 'repeated resolve')})",
                      "fingerprint": t, "incident_id": st.incident_id, "actor": None, "next_due_at": None,
                      "facts": None}]
        decisions += [_decision(r) for r in ds] + _first_firing(row, ds, 8) + [_decision(r) for r in nd]
        svc = (st.labels or {}).get(self.cfg.service_label)
        name = f"{st.labels.get('alertname', '?')} on {svc}" if svc else st.labels.get("alertname", "?")
        return WhyAnswer(f"alert {name} ({t})", decisions, inc.next_due_at if inc else None, {
            "status": st.status.value, "incident_id": st.incident_id, "inhibited_by": st.inhibited_by,
            "snoozed_until": inc.snoozed_until.isoformat() if inc and inc.snoozed_until and inc.is_open else None,
            "silences": inc.silences if inc else []})

    async def _name_alerts(self, s: Any, decisions: list[dict[str, Any]], incident_id: int) -> None:
        """Give each decision about one alert that alert's name, "HighLatency on checkout (now in #7)"."""
        fps = list({d["fingerprint"] for d in decisions if d.get("fingerprint")})
        if not fps:
            return
        rows = (await s.execute(select(A.c.fingerprint, A.c.alertname, A.c.labels, A.c.incident_id)
                                .where(A.c.fingerprint.in_(fps)))).all()
        label = self.cfg.service_label
        names = {}
        for fp, name, labels, now_in in rows:
            named = f"{name} on {labels[label]}" if (labels or {}).get(label) else name
            # A decision is history: an alert moved since (split, merge) says where it is now.
            names[fp] = named if now_in in (None, incident_id) else f"{named} (now in #{now_in})"
        for d in decisions:
            d["alert"] = names.get(d.get("fingerprint") or "")

    async def stats(self, days: int = 7) -> Stats:
        """Return alerts in, incidents out, compression, MTTA, MTTR and the noisiest alerts."""
        since = self.clock.now() - check_period_days(days)
        async with self.db.session() as s:
            arows = (await s.execute(select(A.c.alertname, A.c.deliveries).where(A.c.last_seen_at >= since))).all()
            irows = (await s.execute(select(I.c.opened_at, I.c.acked_at, I.c.resolved_at)
                                     .where(I.c.opened_at >= since))).all()
        noisy: Counter = Counter()
        for name, n in arows:
            noisy[name] += n
        acks = [(utc(r.acked_at) - utc(r.opened_at)).total_seconds() for r in irows if r.acked_at]
        fixes = [(utc(r.resolved_at) - utc(r.opened_at)).total_seconds() for r in irows if r.resolved_at]
        distinct = len(arows)
        return Stats(days, sum(noisy.values()), distinct, len(irows),
                     1 - len(irows) / distinct if distinct else 0.0,
                     sum(acks) / len(acks) if acks else None, sum(fixes) / len(fixes) if fixes else None,
                     noisy.most_common(5), await self.dead_letter_count())

    async def dead_letter_count(self) -> int:
        """Return how many stored alert batches are in the dead letter."""
        return await dead_letter.count(self.db)
