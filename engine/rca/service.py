"""The root-cause feature facade: analyse an incident, record verdicts, report accuracy."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy import func, select
from sqlmodel import col
from sqlalchemy.dialects import postgresql, sqlite

from engine.actor import Actor
from engine.alerts import repo
from engine.core.notices import Button
from engine.core.clock import Clock, utc
from engine.core.bounds import check_period_days
from engine.errors import InvalidInput, NotFound, OpsError, Unavailable
from engine.core.outbox import emit as outbox_emit
from engine.core.outbox_tables import OutboxItem
from engine.rca import messages, view
from engine.ports import ServiceSignals
from engine.rca.candidates import PrometheusSource, ReplaySource, gather
from engine.rca.changes import ChangeLog
from engine.rca.config import RcaConfig
from engine.rca.ranker import rank
from engine.rca.tables import AnalysisRow, FeedbackRow
from engine.models.tables import AliasChange
from engine.store.db import Database

if TYPE_CHECKING:
    from engine.alerts.card import IncidentCard

log = logging.getLogger("opsbot.rca")
VERDICTS = ("confirmed", "wrong")
# Replies older than this keep what they showed when an alias moves: a month-old incident's
# rollback button is history, and the scan stays bounded.
REFRESH_DAYS = 30


@dataclass
class RcaStats:
    """How often people confirmed the hypotheses over a period."""

    days: int
    analyses: int
    judged: int  # analyses with at least one verdict
    top1_confirmed: int
    top3_confirmed: int
    wrong: int

    @property
    def accuracy_at_1(self) -> float | None:
        """Share of judged analyses whose first hypothesis was confirmed."""
        return self.top1_confirmed / self.judged if self.judged else None

    @property
    def accuracy_at_3(self) -> float | None:
        """Share of judged analyses with a confirmed hypothesis among those shown."""
        return self.top3_confirmed / self.judged if self.judged else None


class RcaService:
    """What the bot calls for hypotheses; every call re-reads the incident from the store."""

    def __init__(self, db: Database, cfg: RcaConfig, alerts: Any, clock: Clock, source: ServiceSignals | None,
                 suggest: Callable[[dict[str, str]], list[str]] | None = None) -> None:
        self.db, self.cfg, self.alerts, self.clock, self.source = db, cfg, alerts, clock, source
        self.suggest = suggest or (lambda labels: [])
        self.changes = ChangeLog(db, cfg, clock)
        self.graph = cfg.graph(alerts.cfg.depends_on)

    async def analyse(self, incident_id: int, actor: Actor | None = None, post: bool = True) -> AnalysisRow:
        """Rank hypotheses for an incident, store them, post the top ones in its thread."""
        if self.source is None:
            raise Unavailable("no metrics source for hypotheses", hint="set OPSBOT_PROMETHEUS_URL or rca.replay_csv")
        started = time.perf_counter()
        detail = await self.alerts.queries.incident(incident_id)
        inc = detail.incident
        label = self.alerts.cfg.service_label
        seeds = list(dict.fromkeys([*inc.services, *(a.labels[label] for a in detail.alerts if a.labels.get(label))]))
        if not seeds:
            raise InvalidInput(f"incident #{incident_id} names no service",
                               hint=f"alerts need a `{label}` label for hypotheses")
        onset = min([utc(a.starts_at) for a in detail.alerts] or [utc(inc.opened_at)])
        cand = await gather(self.db, self.cfg, self.graph, self.source, self.changes, seeds, onset,
                            self.clock.now(), label)
        ranked = await asyncio.to_thread(rank, cand.inp)  # numpy work: off the event loop
        items = []
        for h in ranked[: self.cfg.top]:
            item = messages.evidence(h, cand, self.source, self.cfg)
            item["buttons"] = []  # filled once the analysis has an id
            items.append(item)
        top_conf = items[0]["confidence"] if items else 0.0
        # A headline cause must agree with its own evidence; otherwise the card says none yet
        # and the thread lists the candidates.
        confident = bool(items) and top_conf >= self.cfg.likely_cause_confidence
        likely = messages.likely_cause(items[0]) if confident and view.plausible(items[0], inc.services) else None
        elapsed = int((time.perf_counter() - started) * 1000)
        async with self.db.session() as s:
            prev = await view.newest_analysis(s, incident_id)
            if prev is not None and _ranking(prev.hypotheses) == _ranking(items):
                # The same ranking again: keep the analysis and its votes. Its reply is
                # re-rendered (it may never have been posted: the auto job analyses silently).
                if post:
                    await outbox_emit(s, view.reply_notice(prev, inc, await view.votes_of(s, prev),
                                                           await view.later_moves(s, prev)), self.clock.now())
                return prev
        row = AnalysisRow(incident_id=incident_id, created_at=self.clock.now(), onset=onset,
                          requested_by=actor.user_id if actor else "", top_confidence=top_conf,
                          likely_cause=likely, hypotheses=[], signals=len(cand.inp.series), elapsed_ms=elapsed,
                          services=len(cand.services), problems=list(cand.problems[:20]))
        async with self.alerts.store.locked() as s:  # the incident edit must not race the pipeline's
            s.add(row)
            await s.flush()  # the id goes into the buttons, so they are written with the row's second save
            row.hypotheses = [{**item, "buttons": messages.actions(i, item, row.id, self._runbook(item, inc.alertnames))}
                              for i, item in enumerate(items, start=1)]
            if post:
                await outbox_emit(s, view.reply_notice(row, inc, [], await view.later_moves(s, row)), self.clock.now())
            if likely:
                await self._edit_card(s, incident_id)
        log.info("hypotheses ranked", extra={"incident": incident_id, "signals": row.signals, "ms": elapsed})
        return row

    def _runbook(self, item: dict[str, Any], alertnames: list[str]) -> str | None:
        configured = self.cfg.runbook_for(item["service"])
        if configured:
            return configured
        for name in alertnames or [""]:
            found = self.suggest({"alertname": name, self.alerts.cfg.service_label: item["service"]})
            if found:
                return found[0]
        return None

    async def feedback(self, analysis_id: int, rank_: int, verdict: str, actor: Actor) -> AnalysisRow:
        """Record a Confirmed/Wrong verdict (a second click replaces the first) and edit the reply."""
        if verdict not in VERDICTS:
            raise InvalidInput(f"unknown verdict {verdict!r}")
        now = self.clock.now()
        async with self.db.session() as s:
            row = await s.get(AnalysisRow, analysis_id)
            if row is None:
                raise NotFound(f"hypotheses #{analysis_id} do not exist")
            if not 1 <= rank_ <= len(row.hypotheses):
                raise InvalidInput(f"hypothesis {rank_} is not on that list")
            values = dict(analysis_id=analysis_id, incident_id=row.incident_id, rank=rank_,
                          name=row.hypotheses[rank_ - 1]["name"][:300], verdict=verdict, user_id=actor.user_id,
                          user_name=actor.name or actor.user_id, at=now)
            dialect = postgresql if self.db.dialect == "postgresql" else sqlite
            stmt = dialect.insert(FeedbackRow.__table__).values(**values)
            await s.execute(stmt.on_conflict_do_update(index_elements=["analysis_id", "rank", "user_id"],
                                                       set_={"verdict": verdict, "at": now}))
            inc = await repo.load_incident(s, row.incident_id)
            shown = await view.newest_analysis(s, row.incident_id) or row  # the reply shows the newest
            await outbox_emit(s, view.reply_notice(shown, inc, await view.votes_of(s, shown),
                                                   await view.later_moves(s, shown)), now)
            await self._edit_card(s, row.incident_id)  # a cause marked wrong leaves the card
        return row

    async def refresh_rollbacks(self, s: Any, change: AliasChange, now: datetime) -> None:
        """Re-render posted hypotheses replies that point at a move of this alias (their rollback may be stale)."""
        since = now - timedelta(days=REFRESH_DAYS)
        items = (await s.execute(select(OutboxItem).where(
            col(OutboxItem.template) == messages.RcaHypotheses.TEMPLATE, col(OutboxItem.created_at) >= since)
            .order_by(col(OutboxItem.id).desc()))).scalars().all()
        newest: dict[str, OutboxItem] = {}
        for item in items:
            newest.setdefault(item.key, item)
        for item in newest.values():
            analysis_id = item.context.get("analysis_id")
            row = await s.get(AnalysisRow, analysis_id) if isinstance(analysis_id, int) else None
            if row is None or not any(view.points_at_alias(h, change.model, change.alias) for h in row.hypotheses):
                continue
            inc = await repo.load_incident(s, row.incident_id)
            votes, later = await view.votes_of(s, row), await view.later_moves(s, row)
            try:
                notice = view.reply_notice(row, inc, votes, later)
            except Exception:  # a reply that no longer renders must not undo the alias move it follows
                log.exception("hypotheses reply not refreshed after an alias move",
                              extra={"analysis": row.id, "model": change.model})
                continue
            await outbox_emit(s, notice, now)

    async def _edit_card(self, s: Any, incident_id: int) -> None:
        """Re-render a posted incident card (its likely cause comes from the newest analysis)."""
        # Through the alerts pipeline's enrich and notify stages, so every declared addition applies.
        await self.alerts.render_card(s, incident_id, self.clock.now())

    async def stats(self, days: int = 30) -> RcaStats:
        """Return how many analyses people judged and how often the top ones were right."""
        since = self.clock.now() - check_period_days(days)
        async with self.db.session() as s:
            analyses = (await s.execute(select(func.count()).select_from(AnalysisRow)
                                        .where(AnalysisRow.created_at >= since))).scalar_one()
            votes = (await s.execute(select(FeedbackRow.analysis_id, FeedbackRow.rank, FeedbackRow.verdict)
                                     .where(FeedbackRow.at >= since))).all()
        judged: dict[int, list[tuple[int, str]]] = {}
        for a, r, v in votes:
            judged.setdefault(a, []).append((r, v))
        top1 = sum(1 for vs in judged.values() if (1, "confirmed") in vs)
        top3 = sum(1 for vs in judged.values() if any(v == "confirmed" and r <= self.cfg.top for r, v in vs))
        wrong = sum(1 for vs in judged.values() for _, v in vs if v == "wrong")
        return RcaStats(days, analyses, len(judged), top1, top3, wrong)

    async def auto_job(self, now: Any = None) -> None:
        """Analyse new incidents without posting, so a confident likely cause appears by itself."""
        since = self.clock.now() - timedelta(seconds=self.cfg.auto_within_s)
        I = repo.I
        async with self.db.session() as s:
            done = select(AnalysisRow.incident_id)
            ids = (await s.execute(select(I.c.id).where(I.c.status != "resolved", I.c.opened_at >= since,
                                                        I.c.posted.is_(True), I.c.id.not_in(done))
                                   .order_by(I.c.id).limit(5))).scalars().all()
        for incident_id in ids:
            try:
                await self.analyse(incident_id, post=False)
            except OpsError as exc:  # expected: no signals (yet) for this incident; say so quietly
                log.info("no automatic hypotheses", extra={"incident": incident_id, "error": exc.message})
            except Exception as exc:  # one incident's failure must not stop the others
                log.warning("automatic hypotheses failed", extra={"incident": incident_id, "error": str(exc)})



def _ranking(hypotheses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return hypotheses without their buttons (which carry the analysis id)."""
    return [{k: v for k, v in h.items() if k != "buttons"} for h in hypotheses]


async def add_likely_cause(session: Any, card: IncidentCard) -> None:
    """Put the stored likely cause, or the cause people confirmed, on an incident's card (an enricher)."""
    row = await view.newest_analysis(session, card.id)
    if row is None:
        return
    votes = await view.votes_of(session, row)
    card.confirmed_cause = view.confirmed_cause(row, votes)
    card.likely_cause = view.likely_cause(row, votes) if row.likely_cause else None


def show_button(card: IncidentCard) -> None:
    """Add "Show hypotheses" to an unresolved incident card (an alerts message extension)."""
    if card.status != "resolved":
        card.extra_actions.append(Button(action_id=messages.SHOW, value=str(card.id)))


def metric_source(cfg: RcaConfig, prometheus: Any) -> ServiceSignals | None:
    """Return the hypotheses' metric source: the replay file, else Prometheus, else None."""
    if cfg.replay_csv:
        return ReplaySource(cfg.replay_csv)
    return PrometheusSource(prometheus) if prometheus is not None else None
