"""The registry watch: poll MLflow, announce new or failed versions, record outside alias moves."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.audit import AuditLog
from engine.core.clock import utc
from engine.models.config import ResolvedRules
from engine.models.messages import failed_registration_notice, metric_rows, new_version_notice, outside_move_notice
from engine.models.mover import AliasMover, remember_alias, supersede_alias_requests
from engine.ports import ModelRegistry
from engine.models.tables import DONE, OUTSIDE_ACTOR, AliasChange, SeenAlias, WatchState
from engine.models.types import FAILED, PENDING, ModelVersion, RegisteredModel
from engine.core.notices import Notice
from engine.core.outbox import emit
from engine.store.db import Database


@dataclass
class WatchReport:
    """What one cycle found, for logs, metrics and tests."""

    models: int = 0
    listed: int = 0  # models whose versions had to be listed
    new_versions: int = 0
    failed_versions: int = 0
    outside_moves: int = 0
    settled_intents: int = 0


async def claim_alias_move(s: AsyncSession, sqlite: bool, model: str, alias: str, old: int | None,
                           cur: int | None, now: datetime) -> bool:
    """Move the remembered alias from old to cur only if it still says old; True if this call did.

    The compare-and-set is what makes an outside move recorded once: a poll, a webhook's
    wake-up and a replica taking the lease over may all see the same change, and only the
    one whose write lands first records it, audits it and announces it.
    """
    where = (col(SeenAlias.model) == model) & (col(SeenAlias.alias) == alias)
    if old is None:
        ins = (sqlite_insert if sqlite else pg_insert)(SeenAlias).values(
            model=model, alias=alias, version=cur, seen_at=now).on_conflict_do_nothing()
        result = await s.exec(ins)
    elif cur is None:
        result = await s.exec(delete(SeenAlias).where(where, col(SeenAlias.version) == old))
    else:
        result = await s.exec(update(SeenAlias).where(where, col(SeenAlias.version) == old)
                              .values(version=cur, seen_at=now))
    return result.rowcount == 1


class RegistryWatch:
    """One poll cycle at a time; cheap when nothing changed (one list call, no writes)."""

    def __init__(self, db: Database, registry: ModelRegistry, mover: AliasMover, audit: AuditLog,
                 rules: Callable[[str], ResolvedRules], concurrency: int = 8) -> None:
        self.db, self.registry, self.mover, self.audit, self.rules = db, registry, mover, audit, rules
        self.concurrency = concurrency

    async def run(self, now: datetime) -> WatchReport:
        """Run one cycle (the scheduler's job)."""
        # What Opsbot remembers is read before the registry is: a registry snapshot older than the
        # remembered aliases (another cycle recorded a move in between) would otherwise look like
        # the move being undone, and the compare-and-set would record that phantom move back.
        async with self.db.session() as s:
            seen: dict[str, dict[str, int]] = {}
            for row in (await s.exec(select(SeenAlias))).all():
                seen.setdefault(row.model, {})[row.alias] = row.version
            states = {w.model: w for w in (await s.exec(select(WatchState))).all()}
        models = await self.registry.list_models()
        report = WatchReport(models=len(models))
        report.settled_intents = await self.mover.reconcile(now, {m.name: m.aliases for m in models})
        first_run = not states  # the very first cycle learns the registry without announcing it
        changed: list[tuple[RegisteredModel, WatchState]] = []
        for m in models:
            state = states.get(m.name)
            if state is None:
                await self._adopt(m, now, announce=not first_run, report=report)
                continue
            await self._aliases(m, seen.get(m.name, {}), now, report)
            if m.latest_version != state.max_version or state.pending or \
                    (m.updated_at and state.registry_updated_at and utc(state.registry_updated_at) != m.updated_at):
                changed.append((m, state))
        # Listing versions is one or two round trips per changed model: overlap a few of them.
        gate = asyncio.Semaphore(self.concurrency)

        async def one(m: RegisteredModel, state: WatchState) -> None:
            async with gate:
                await self._versions(m, state, now, report)

        await asyncio.gather(*(one(m, s) for m, s in changed))
        return report

    async def _adopt(self, m: RegisteredModel, now: datetime, announce: bool, report: WatchReport) -> None:
        try:
            async with self.db.session() as s:
                for alias, version in m.aliases.items():
                    await remember_alias(s, m.name, alias, version, now)
                s.add(WatchState(model=m.name, max_version=0 if announce else (m.latest_version or 0),
                                 registry_updated_at=m.updated_at, seen_at=now))
        except IntegrityError:
            return  # a concurrent cycle adopted the model first; it also announces its versions
        if announce:  # a model registered while opsbot was running: its versions are news
            state = WatchState(model=m.name, max_version=0, seen_at=now)
            await self._versions(m, state, now, report)

    async def _aliases(self, m: RegisteredModel, seen: dict[str, int], now: datetime, report: WatchReport) -> None:
        for alias in sorted(set(seen) | set(m.aliases)):
            old, cur = seen.get(alias), m.aliases.get(alias)
            if old == cur or await self.mover.in_flight(m.name, alias, cur):
                continue
            channel = self.rules(m.name).channel
            async with self.db.session() as s:
                if not await claim_alias_move(s, self.db.is_sqlite, m.name, alias, old, cur, now):
                    continue  # another cycle (here or on another replica) recorded this change
                change = AliasChange(model=m.name, alias=alias, from_version=old, to_version=cur, kind="outside",
                                     state=DONE, actor_id=OUTSIDE_ACTOR, actor_name=OUTSIDE_ACTOR,
                                     created_at=now, confirmed_at=now)
                s.add(change)
                await s.flush()
                await emit(s, outside_move_notice(channel, change.id or 0, m.name, alias, old, cur, OUTSIDE_ACTOR), now)
                await self.mover.moved(s, change, now)
                await supersede_alias_requests(s, self.audit, m.name, alias, cur, now)
                await self.audit.append(s, actor="mlflow", action="model.alias_moved_outside",
                                        subject=f"model:{m.name}", data={"alias": alias, "from": old, "to": cur,
                                                                          "change": change.id})
            report.outside_moves += 1

    async def _versions(self, m: RegisteredModel, state: WatchState, now: datetime, report: WatchReport) -> None:
        report.listed += 1
        versions = await self.registry.list_versions(m.name)
        pending = set(state.pending)
        news = [v for v in versions if v.version > state.max_version or v.version in pending]
        rules = self.rules(m.name)
        champ_metrics = None
        announced: list[ModelVersion] = []
        still_pending: list[int] = []
        for v in sorted(news, key=lambda v: v.version):
            if v.status == PENDING:
                still_pending.append(v.version)
            else:
                announced.append(v)
        notices: list[tuple[int, bool, Notice]] = []  # (version, failed, notice)
        for v in announced:
            if v.status == FAILED:
                notices.append((v.version, True, failed_registration_notice(rules.channel, v)))
                continue
            champion = m.aliases.get("champion")
            if champ_metrics is None and champion is not None and champion != v.version:
                champ_run = (await self.registry.get_version(m.name, champion)).run_id
                champ_metrics = await self.registry.run_metrics(champ_run) if champ_run else {}
            cand = await self.registry.run_metrics(v.run_id) if v.run_id else {}
            rows = metric_rows(cand, champ_metrics if champion != v.version else None, rules.key_metrics)
            notices.append((v.version, False, new_version_notice(rules.channel, v, rows, champion)))
        async with self.db.session() as s:
            # Re-read under a row lock: a concurrent cycle may have announced some of these
            # versions since this one read the state, and each version is announced once.
            row = (await s.exec(select(WatchState).where(WatchState.model == m.name).with_for_update())).first()
            done_max, done_pending = (row.max_version, set(row.pending)) if row else (state.max_version, pending)
            row = row or WatchState(model=m.name, seen_at=now)
            row.max_version = max([row.max_version, state.max_version, *(v.version for v in versions)], default=0)
            row.pending, row.registry_updated_at, row.seen_at = sorted(still_pending), m.updated_at, now
            s.add(row)
            for version, failed, notice in notices:
                if version <= done_max and version not in done_pending:
                    continue
                await emit(s, notice, now)
                report.failed_versions += failed
                report.new_versions += not failed
