"""Split and Merge in the store: one transaction under the alerts write lock, both incidents recomputed.

The alerts write lock (AlertStore.locked) is the one ingest takes, so a split and a batch of new
alerts for the same incident run one after the other: an alert that arrived first is a member
the split sees (and leaves in place unless chosen); one arriving after follows its row's new
incident. Incidents come from the store's cache and are changed in place, so the cache stays
what a reload would build.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, AsyncIterator, Awaitable, Callable, Iterable

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.alerts import lifecycle, repo
from engine.alerts.config import AlertsConfig
from engine.alerts.correction_tables import GroupingCorrection
from engine.alerts.corrections_memory import alert_event, derive, lesson_side, placer, remember, settle, unite
from engine.alerts.corrections import MERGE, SPLIT, Lesson
from engine.alerts.card import ChangeFacts
from engine.alerts.lifecycle import Change
from engine.alerts.messages import message_key
from engine.alerts.pipeline import Outcome, PipelineState
from engine.alerts.store import AlertStore
from engine.alerts.types import AlertState, Decision, Incident, IncidentStatus, Status
from engine.core.clock import utc
from engine.core.notices import MessageData, Notice
from engine.errors import Conflict, InvalidInput, NotFound
from engine.store.db import Database, table_of

if TYPE_CHECKING:
    from engine.alerts.service import AlertService

C = table_of(GroupingCorrection)
A = repo.A


class CorrectionNote(MessageData):
    """The thread reply saying a split or merge changed an incident (its text is also the timeline's)."""

    TEMPLATE = "alerts/correction_note"

    id: int
    change: ChangeFacts
    who: str



@dataclass(frozen=True)
class Corrected:
    """What one split or merge did, for the audit event and the feedback."""

    kind: str
    source: Incident
    target: Incident
    moved: int
    lesson: Lesson
    correction_id: int


# Called last inside the correction's transaction (the audit event joins it).
Finish = Callable[[AsyncSession, Corrected], Awaitable[None]]


async def _members(store: AlertStore, s: AsyncSession, incident_id: int) -> list[AlertState]:
    fps = list((await s.execute(select(A.c.fingerprint).where(A.c.incident_id == incident_id)
                                .order_by(A.c.fingerprint))).scalars())
    got = await store.alerts_for(s, fps)
    return [got[f] for f in fps if f in got]


async def _open_incident(store: AlertStore, s: AsyncSession, incidents: dict[int, Incident],
                         incident_id: int, verb: str) -> Incident:
    inc = incidents.get(incident_id)
    if inc is None or not inc.is_open:
        if inc is None and await repo.load_incident(s, incident_id) is None:
            raise NotFound(f"incident #{incident_id} does not exist", hint="see /ops incidents all")
        raise Conflict(f"incident #{incident_id} is resolved; only open incidents can be {verb}",
                       hint="see /ops incidents")
    return inc


class CorrectionLog:
    """The stored corrections: written inside a split's or merge's transaction, read for replay and stats."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, s: AsyncSession, kind: str, source: int, target: int, lesson: Lesson,
                  moved: int, actor_id: str, actor_name: str, now: datetime) -> int:
        """Store one correction in the caller's transaction; return its id."""
        return int((await s.execute(C.insert().values(
            kind=kind, source_incident=source, target_incident=target, keys_moved=list(lesson.keys_moved),
            keys_other=list(lesson.keys_other), alerts_moved=moved, actor=actor_id[:120],
            actor_name=actor_name[:120], at=now).returning(C.c.id))).scalar_one())

    async def lessons(self) -> AsyncIterator[Lesson]:
        """Yield every stored correction as a lesson, oldest first."""
        async with self.db.session() as s:
            rows = (await s.execute(select(C.c.kind, C.c.keys_moved, C.c.keys_other).order_by(C.c.id))).all()
        for kind, moved, other in rows:
            yield Lesson(kind, tuple(moved or ()), tuple(other or ()))

    async def weekly(self, since: datetime) -> list[dict[str, int | str]]:
        """Return splits and merges per ISO week (Monday) since a time, oldest week first."""
        async with self.db.session() as s:
            rows = (await s.execute(select(C.c.at, C.c.kind).where(C.c.at >= since))).all()
        weeks: dict[str, dict[str, int | str]] = {}
        for at, kind in rows:
            day = utc(at).date()
            monday = (day - timedelta(days=day.weekday())).isoformat()
            w = weeks.setdefault(monday, {"week": monday, "splits": 0, "merges": 0})
            key = "splits" if kind == SPLIT else "merges"
            w[key] = int(w[key]) + 1
        return [weeks[k] for k in sorted(weeks)]

    async def count(self) -> int:
        """Return how many corrections are stored."""
        async with self.db.session() as s:
            return int((await s.execute(select(func.count()).select_from(C))).scalar_one())

    @staticmethod
    async def merged_into(s: AsyncSession, incident_id: int) -> int | None:
        """Return the incident this one was merged into, if it was."""
        return (await s.execute(select(C.c.target_incident).where(
            C.c.kind == MERGE, C.c.source_incident == incident_id).order_by(C.c.id.desc()).limit(1))
                ).scalar_one_or_none()


def _note(inc: Incident, correction_id: int, change: Change, who: str) -> Notice:
    key = message_key(inc.id)
    return Notice.of(CorrectionNote(id=inc.id, change=ChangeFacts(**change.facts()), who=who),
                     key=f"{key}:correction:{correction_id}",
                     channel=inc.channel, thread_key=key)


async def _commit(alerts: AlertService, s: AsyncSession, members: list[AlertState], notes: list[tuple[Incident, Change]],
                  moved: list[AlertState], target: Incident, cid: int, who: str, actor_id: str,
                  now: datetime) -> None:
    out = Outcome()
    for inc, change in notes:
        out.note(inc, [change])
        out.decisions.append(Decision("correction", "correction", change.kind, None, inc.id, facts=change.facts()))
    # One line per moved alert, so `/ops why <fingerprint>` tells where it went and who moved it.
    moved_to = Change("moved", who=who, incident=target.id).facts()
    out.decisions.extend(Decision("correction", "moved", "moved", a.fingerprint, target.id, facts=moved_to)
                         for a in moved)
    state = PipelineState({a.fingerprint: a for a in members}, {inc.id: inc for inc, _ in notes})
    # Through the pipeline's tail (enrich, notify) and the store, as every other incident change.
    await alerts.pipeline.commit(s, state, out, now, actor_id)
    await alerts.ingest.notify.emit(s, [_note(inc, cid, change, who) for inc, change in notes], now)


async def split(alerts: AlertService, log: CorrectionLog, cfg: AlertsConfig, now_fn: Callable[[], datetime],
                incident_id: int, picked: Iterable[str], actor_id: str, who: str, finish: Finish) -> Corrected:
    """Move the picked alerts of an open incident to a new incident, in one transaction."""
    chosen = set(picked)
    store = alerts.store
    async with store.locked() as s:
        now = now_fn()
        incidents = await store.candidates(s, now)
        src = await _open_incident(store, s, incidents, incident_id, "split")
        members = await _members(store, s, src.id)
        gone = chosen - {a.fingerprint for a in members}
        if gone:
            raise InvalidInput(f"{len(gone)} of the chosen alerts are no longer in incident #{src.id}",
                               hint="close the form and open Split… again")
        moved = [a for a in members if a.fingerprint in chosen]
        stay = [a for a in members if a.fingerprint not in chosen]
        if not moved:
            raise InvalidInput("choose at least one alert to move to a new incident")
        if not stay:
            raise InvalidInput(f"that is every alert of incident #{src.id}: leave at least one",
                               hint="to put all of them elsewhere, use Merge into…")
        first = min(moved, key=lambda a: (a.first_seen_at, a.fingerprint))
        new = lifecycle.new_incident(-1, alert_event(first), cfg, now)
        new.channel, new.alert_count = src.channel, len(moved)
        for a in moved:
            src.drop_firing(a.fingerprint)
            if a.status is Status.FIRING:
                new.add_firing(a.fingerprint, a.group_key or "")
        place = placer(alerts, cfg)
        remember(new, derive(moved, cfg, src, place), src, moved, cfg)
        remember(src, derive(stay, cfg, src, place), src, stay, cfg)
        src.alert_count = len(stay)
        settle(src, cfg, now)
        settle(new, cfg, now)
        await repo.insert_incidents(s, [new])
        incidents[new.id] = new  # the store's cache: the next batch sees the new incident
        for a in moved:
            a.incident_id, a.inhibited_by, a.dirty = new.id, None, True
        lesson = Lesson(SPLIT, lesson_side(cfg, moved, place), lesson_side(cfg, stay, place))
        cid = await log.add(s, SPLIT, src.id, new.id, lesson, len(moved), actor_id, who, now)
        names = tuple(sorted({a.labels.get("alertname", "?") for a in moved}))
        await _commit(alerts, s, members, [
            (src, Change("split_out", who=who, incident=new.id, count=len(moved), alerts=names)),
            (new, Change("split_from", who=who, incident=src.id, count=len(moved), alerts=names))],
            moved, new, cid, who, actor_id, now)
        done = Corrected(SPLIT, src, new, len(moved), lesson, cid)
        await finish(s, done)
        return done


async def merge(alerts: AlertService, log: CorrectionLog, cfg: AlertsConfig, now_fn: Callable[[], datetime],
                source_id: int, target_id: int, actor_id: str, who: str, finish: Finish) -> Corrected:
    """Move every alert of one open incident into another and close it as merged, in one transaction."""
    if source_id == target_id:
        raise InvalidInput(f"incident #{source_id} cannot be merged into itself", hint="pick another incident")
    store = alerts.store
    async with store.locked() as s:
        now = now_fn()
        incidents = await store.candidates(s, now)
        src = await _open_incident(store, s, incidents, source_id, "merged")
        dst = await _open_incident(store, s, incidents, target_id, "merged into")
        moved = await _members(store, s, src.id)
        keep = await _members(store, s, dst.id)
        for a in moved:
            a.incident_id, a.inhibited_by, a.dirty = dst.id, None, True
            if a.status is Status.FIRING:
                dst.add_firing(a.fingerprint, a.group_key or "")
        unite(dst.group_keys, src.group_keys, newest=True)
        unite(dst.corr_keys, src.corr_keys, newest=True)
        dst.ledger = None  # changed outside lifecycle.join: the next save rewrites its machine rows
        unite(dst.services, src.services, newest=False)
        for k, fp in src.inhibitors.items():
            dst.inhibitors.setdefault(k, fp)
        dst.alertnames += [n for n in src.alertnames if n not in dst.alertnames]
        dst.sources += [x for x in src.sources if x not in dst.sources]
        if cfg.severity_rank(src.severity) > cfg.severity_rank(dst.severity):
            dst.severity = src.severity
        dst.alert_count = len(keep) + len(moved)
        settle(dst, cfg, now)
        # Closed with an empty memory: no later alert can match it, so nothing reopens it; its
        # alerts' rows point at the target, which later deliveries follow.
        src.status, src.resolved_at, src.resolved_by = IncidentStatus.RESOLVED, now, who[:120]
        src.resolve_due_at = src.snoozed_until = None
        for fp in list(src.firing):
            src.drop_firing(fp)
        src.group_keys, src.corr_keys, src.services, src.inhibitors = {}, {}, {}, {}
        src.alert_count, src.last_activity_at, src.dirty = 0, now, True
        place = placer(alerts, cfg)
        lesson = Lesson(MERGE, lesson_side(cfg, moved, place), lesson_side(cfg, keep, place))
        cid = await log.add(s, MERGE, src.id, dst.id, lesson, len(moved), actor_id, who, now)
        await _commit(alerts, s, moved + keep, [
            (src, Change("merged_into", who=who, incident=dst.id, count=len(moved))),
            (dst, Change("merged_in", who=who, incident=src.id, count=len(moved)))], moved, dst, cid, who,
            actor_id, now)
        done = Corrected(MERGE, src, dst, len(moved), lesson, cid)
        await finish(s, done)
        return done
