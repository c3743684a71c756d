"""Serialized access to alert state: one writer at a time across replicas and processes."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import AsyncIterator, Iterable

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.alerts import counters, repo
from engine.store.bulk import Bulk
from engine.alerts.config import AlertsConfig
from engine.alerts.counters import PendingCounters
from engine.alerts.flow import PipelineState
from engine.alerts.tables import AlertsGeneration
from engine.alerts.types import AlertState, Decision, Incident
from engine.store.db import Database

G = AlertsGeneration.__table__
MAX_CACHED_ALERTS = 200_000
MAX_KNOWN = 500_000  # fingerprints held to skip lookups of new alerts (~60 MB at most)
_BUMP = update(G).where(G.c.id == 1).values(value=G.c.value + 1).returning(G.c.value)  # built once
_BUMP_SQL = "UPDATE alerts_generation SET value = value + 1 WHERE id = 1 RETURNING value"


class AlertStore:
    """Serializes writers and keeps the state this replica last wrote cached in memory.

    Grouping reads every open incident, so correctness needs one writer at a time. Every
    writer bumps the single `alerts_generation` row first: that row lock serializes writers
    across replicas on PostgreSQL and takes SQLite's write lock before any read (a later
    read-then-write upgrade could fail). The counter also tells a replica whether anyone else
    wrote since its own last write; if not, its cached alerts and incidents are current and
    the batch needs no state reads at all.
    """

    def __init__(self, db: Database, cfg: AlertsConfig) -> None:
        self.db = db
        self.cfg = cfg
        self._lock = asyncio.Lock()  # in-process queue: cheaper than contending on the row lock
        self._gen: int | None = None
        self.alerts: dict[str, AlertState] = {}
        self.incidents: dict[int, Incident] | None = None
        self.held = PendingCounters(cfg.counter_flush_s)  # repeat counters written behind
        # Every fingerprint in alerts_alert, while this replica is the steady writer (None: not
        # known). A storm's alerts are all new: with it, they cost no lookup of rows not there.
        self.known: set[str] | None = None
        self._steady = False  # this replica also wrote the transaction before this one
        self._too_many = False  # more fingerprints than MAX_KNOWN: rows are looked up

    def invalidate(self) -> None:
        """Forget cached state (after a failed transaction the objects may be half-changed)."""
        self._gen, self.incidents, self.known, self._steady, self._too_many = None, None, None, False, False
        self.alerts.clear()
        self.held.drop()  # they may count the failed transaction's deliveries

    async def _bump(self, s: AsyncSession) -> int:
        # On the driver (Bulk.of begins the transaction, on asyncpg too): every writer's first
        # statement, and SQLAlchemy's execution path cost more than the statement itself.
        got = await (await Bulk.of(s)).fetch(_BUMP_SQL)
        gen = got[0][0] if got else None
        if gen is None:
            ins = (postgresql if self.db.dialect == "postgresql" else sqlite).insert(G)
            await s.execute(ins.values(id=1, value=0).on_conflict_do_nothing(index_elements=[G.c.id]))
            gen = (await s.execute(_BUMP)).scalar_one()
        return gen

    @asynccontextmanager
    async def locked(self) -> AsyncIterator[AsyncSession]:
        """Yield a session holding the alerts write lock until commit or rollback."""
        async with self._lock:
            try:
                async with self.db.session() as s:
                    gen = await self._bump(s)
                    if self._gen is None or gen != self._gen + 1:
                        # Another replica wrote in between: our held counts are increments, still
                        # right to add; the cached states are not current any more.
                        await self.flush_counters(s)
                        self.invalidate()
                    else:
                        self._steady = True
                    self._gen = gen
                    yield s
            except BaseException:
                self.invalidate()
                raise

    async def candidates(self, s: AsyncSession, now: datetime) -> dict[int, Incident]:
        """Return open and recently resolved incidents (cached while this replica is the writer)."""
        if self.incidents is None:
            self.incidents = await repo.load_candidates(s, now, self.cfg.reopen_window_s)
        else:
            horizon = now - timedelta(seconds=self.cfg.reopen_window_s)
            for i in [i for i, inc in self.incidents.items()
                      if not inc.is_open and inc.resolved_at and inc.resolved_at < horizon]:
                del self.incidents[i]
        return self.incidents

    async def alerts_for(self, s: AsyncSession, fingerprints: Iterable[str]) -> dict[str, AlertState]:
        """Return stored states of the given fingerprints, reading only those not cached."""
        fps = set(fingerprints)
        missing = [fp for fp in fps if fp not in self.alerts]
        if missing:
            if len(self.alerts) > MAX_CACHED_ALERTS:
                await self.flush_counters(s)
                self.alerts.clear()
                missing = list(fps)
            if self.known is None and self._steady and not self._too_many:
                # Only a replica that wrote twice in a row loads it: replicas that take turns
                # would reload it every transaction.
                self.known = await repo.all_fingerprints(s, MAX_KNOWN)
                self._too_many = self.known is None
            if self.known is not None:
                missing = [fp for fp in missing if fp in self.known]  # the rest has no row yet
            if missing:
                self.alerts.update(await repo.load_alerts(s, missing))
        return {fp: self.alerts[fp] for fp in fps if fp in self.alerts}

    async def assign_ids(self, s: AsyncSession, state: PipelineState) -> dict[int, int]:
        """Insert the incidents the pipeline opened; re-key them by their real ids; return the remap."""
        new = [i for i in state.incidents.values() if i.id < 0]
        remap = await repo.insert_incidents(s, new)
        for temp, real in remap.items():
            state.incidents[real] = state.incidents.pop(temp)
        if remap:  # most batches open no incident: no pass over their alerts
            for st in state.alerts.values():
                if st.incident_id in remap:
                    st.incident_id = remap[st.incident_id]
        return remap

    async def save(self, s: AsyncSession, state: PipelineState, decisions: list[Decision], now: datetime,
                   remap: dict[int, int], actor: str | None = None) -> None:
        """Write changed alerts and incidents, due repeat counters and the decisions."""
        await repo.save(s, state.alerts.values(), state.incidents.values(), self.held, now)
        await self.flush_counters(s, now)
        await repo.save_decisions(s, decisions, now, remap, actor)
        self.alerts.update(state.alerts)
        if self.known is not None:
            self.known.update(state.alerts)
            if len(self.known) > MAX_KNOWN:
                self.known, self._too_many = None, True  # too many to hold: look rows up again
    async def flush_counters(self, s: AsyncSession, now: datetime | None = None) -> int:
        """Write held repeat counters due at `now` (all of them without it); return how many rows."""
        due = self.held.take(now)
        await counters.write(await Bulk.of(s), due)
        return len(due)
