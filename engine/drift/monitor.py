"""The `engine.drift` service: run a model's configured check, keep its history, and post a
scheduled check only when its verdict or top drivers changed."""

from __future__ import annotations

import asyncio
import difflib
import importlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Coroutine, Mapping, Optional

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.actor import Actor
from engine.core.bounds import parse_duration
from engine.core.clock import Clock, utc
from engine.drift import messages
from engine.drift.config import DriftConfig, ModelDrift
from engine.drift.serving import RegistryLink
from engine.drift.tables import DriftCheck
from engine.drift.types import DriftReport
from engine.errors import InvalidInput, NotFound, OpsError
from engine.core.notices import Notice
from engine.core.outbox import emit
from engine.store.db import Database

if TYPE_CHECKING:  # pandas and scipy load on the first check, not on every start
    from engine.drift.sources import Source, Window

log = logging.getLogger("opsbot.drift")


def _load_compare() -> None:
    """Import the pandas-backed sources and comparison (seconds, so off the event loop)."""
    importlib.import_module("engine.drift.sources")
    importlib.import_module("engine.drift.service")


@dataclass
class CheckResult:
    """A stored check with its report and what its message says."""

    row: DriftCheck
    report: DriftReport
    context: dict[str, Any]  # the JSON of its messages.DriftSummary, as the template reads it


class DriftService:
    """Checks configured models for drift; every method re-reads config and state."""

    def __init__(self, db: Database, clock: Clock, config: DriftConfig, *, channel: str = "ops",
                 services: Optional[Mapping[str, Any]] = None, base_dir: Optional[Path] = None,
                 link: Optional[RegistryLink] = None) -> None:
        self.db, self.clock, self.config, self.channel = db, clock, config, channel
        self.base_dir = base_dir or Path.cwd()
        self.link = link or RegistryLink(services or {})

    async def aclose(self) -> None:
        """Release downloaded reference artifacts (called by Engine.close)."""
        self.link.close()

    # -- configuration ---------------------------------------------------------------------
    def models(self) -> list[str]:
        """Return the configured model names."""
        return sorted(self.config.models)

    def spec(self, model: str) -> ModelDrift:
        """Return a model's drift config, or NotFound listing the configured ones."""
        if model not in self.config.models:
            known = ", ".join(f"`{m}`" for m in self.models()) or "none yet"
            close = difflib.get_close_matches(model, self.models(), n=1, cutoff=0.6)
            guess = f"did you mean `{close[0]}`? " if close else ""
            raise NotFound(f"no drift check is configured for `{model}`",
                           hint=f"{guess}configured models: {known} (drift.models in opsbot.yaml)")
        return self.config.models[model]

    def add_model(self, name: str, spec: ModelDrift) -> None:
        """Configure one more model at run time (the demo does this)."""
        self.config.models[name] = spec

    def channel_for(self, model: str) -> str:
        """Return where a model's scheduled checks post."""
        return self.spec(model).channel or self.channel

    def jobs(self) -> list[tuple[str, float, Any]]:
        """Return (job name, interval seconds, job) for every model with an interval."""
        out = []
        for name in self.models():
            seconds = self.config.models[name].interval_seconds()
            if seconds:
                out.append((f"drift:{name}", seconds, self.job_for(name)))
        return out

    def job_for(self, model: str) -> Callable[[datetime], Coroutine[Any, Any, None]]:
        """Return the scheduler job that checks one model."""
        async def job(now: datetime) -> None:
            await self.scheduled(model, now)
        return job

    # -- checks ----------------------------------------------------------------------------
    async def check(self, model: str, actor: Actor, window: Optional[str] = None,
                    trigger: str = "command") -> CheckResult:
        """Run a check now, store it, and return it with its message context."""
        spec = self.spec(model)
        now = self.clock.now()
        report, row = await self._compute(model, spec, window, trigger, actor.user_id, now)
        row.posted = True  # answered to the person who asked
        async with self.db.session() as s:
            s.add(row)
            await s.flush()
            summary = await self._summary(s, row, report, spec)
        return CheckResult(row, report, summary.as_context())

    async def scheduled(self, model: str, now: datetime) -> DriftCheck:
        """Scheduled job: check, and post only when the verdict or top drivers changed."""
        spec = self.spec(model)
        try:
            report, row = await self._compute(model, spec, None, "schedule", "", now)
        except OpsError as exc:  # bad input is posted once (when it changes), never raised to the loop
            report, row = None, self._failed(model, spec, exc, now)
        async with self.db.session() as s:
            last = (await s.exec(select(DriftCheck).where(col(DriftCheck.model) == model,
                                                          col(DriftCheck.trigger) == "schedule")
                                 .order_by(col(DriftCheck.id).desc()).limit(1))).first()
            before = last.fingerprint if last else messages.fingerprint(None, spec.top)
            row.posted = row.fingerprint != before
            s.add(row)
            await s.flush()
            if row.posted:
                await emit(s, await self._notice(s, row, report, spec), now)
        log.info("drift check", extra={"model": model, "posted": row.posted, "fingerprint": row.fingerprint})
        return row

    async def features(self, check_id: int) -> dict[str, Any]:
        """Return the full per-feature table of a stored check."""
        async with self.db.session() as s:
            row = await s.get(DriftCheck, check_id)
        if row is None or row.report is None:
            raise NotFound(f"drift check #{check_id} is gone", hint="run `/ops drift <model>` again")
        return messages.features_context(row.model, check_id, DriftReport.from_dict(row.report)).as_context()

    async def recent(self, model: str, limit: int = 20) -> list[DriftCheck]:
        """Return a model's latest checks, newest first."""
        async with self.db.session() as s:
            return list((await s.exec(select(DriftCheck).where(col(DriftCheck.model) == model)
                                      .order_by(col(DriftCheck.id).desc()).limit(limit))).all())

    # -- internals -------------------------------------------------------------------------
    async def _compute(self, model: str, spec: ModelDrift, window: Optional[str], trigger: str,
                       actor_id: str, now: datetime) -> tuple[DriftReport, DriftCheck]:
        span = self._span(model, spec, window)
        start = now - span if span else None
        await asyncio.to_thread(_load_compare)
        from engine.drift import service, sources  # loaded just above, off the loop: binds the names only

        reference = await self._reference(model, spec)
        column = spec.current.time_column  # never None when there is a span (see _span)
        window_ = sources.Window(column, start, now) if span and column is not None else None
        current = self._current(model, spec, window_)
        report = await service.compare_async(reference, current, spec.options())
        serving = await self.link.serving(spec.registry_model or model, spec.alias, start, now)
        row = DriftCheck(model=model, trigger=trigger, actor_id=actor_id, created_at=now,
                         window_label=self._label(window or spec.current.window, span), window_start=start,
                         window_end=now if span else None, dataset_drift=report.dataset_drift,
                         share_drifted=report.share_drifted, n_features=report.n_features,
                         n_drifted=report.n_drifted,
                         scores={f.name: f.effect for f in report.features if f.effect is not None},
                         drivers=[f.name for f in report.drivers(spec.top)],
                         fingerprint=messages.fingerprint(report, spec.top), serving=serving,
                         report=report.to_dict())
        return report, row

    def _failed(self, model: str, spec: ModelDrift, exc: OpsError, now: datetime) -> DriftCheck:
        return DriftCheck(model=model, trigger="schedule", created_at=now, ok=False,
                          window_label=self._label(spec.current.window, self._span(model, spec, None)),
                          error=exc.message[:2000] + (f"\n{exc.hint}" if exc.hint else ""),
                          fingerprint=messages.fingerprint(None, spec.top, exc.message))

    @staticmethod
    def _span(model: str, spec: ModelDrift, window: Optional[str]) -> Optional[timedelta]:
        if spec.current.time_column is None:
            if window is not None:
                raise InvalidInput(f"`{model}` compares all current rows: it has no time column to window",
                                   hint=f"set drift.models.{model}.current.time_column")
            return None
        return parse_duration(window or spec.current.window)

    @staticmethod
    def _label(window: str, span: Optional[timedelta]) -> str:
        return f"last {window}" if span else "all current rows"

    def _path(self, path: str) -> str:
        if path.startswith(("http://", "https://")) or Path(path).is_absolute():
            return path
        return str(self.base_dir / path)

    async def _reference(self, model: str, spec: ModelDrift) -> Source:
        from engine.drift import sources  # loaded off the loop by _compute

        ref = spec.reference
        if ref.path is not None:
            return sources.FileSource(self._path(ref.path), ref.format)
        local = await self.link.artifact(spec.registry_model or model, spec.alias, ref.mlflow_artifact or "")
        return sources.FileSource(local, ref.format)

    def _current(self, model: str, spec: ModelDrift, window: Optional[Window]) -> Source:
        from engine.drift import sources  # loaded off the loop by _compute

        cur = spec.current
        if cur.sql is not None and cur.url is not None:
            return sources.SqlSource(cur.url.get_secret_value(), cur.sql, window,
                                     label=f"{model} current data (SQL)")
        return sources.FileSource(self._path(cur.path or ""), cur.format, window)

    async def _trends(self, s: AsyncSession, model: str, upto: int, names: list[str]) -> dict[str, list[float]]:
        rows = list((await s.exec(select(DriftCheck).where(col(DriftCheck.model) == model, col(DriftCheck.ok),
                                                           col(DriftCheck.id) <= upto)
                                  .order_by(col(DriftCheck.id).desc()).limit(self.config.history))).all())
        rows.reverse()
        return {n: [float(r.scores[n]) for r in rows if r.scores.get(n) is not None] for n in names}

    async def _summary(self, s: AsyncSession, row: DriftCheck, report: DriftReport, spec: ModelDrift) -> messages.DriftSummary:
        drivers = [f.name for f in report.drivers(spec.top)]
        trends = await self._trends(s, row.model, row.id or 0, drivers)
        registry_name = spec.registry_model or row.model
        return messages.summary_context(
            model=row.model, check_id=row.id or 0, report=report, window=row.window_label, top=spec.top,
            trends=trends, serving=row.serving, alias=spec.alias, trigger=row.trigger,
            checked_at=utc(row.created_at).isoformat(timespec="minutes"),
            rollback_value=self.link.rollback_value(registry_name, spec.alias),
            runbook=spec.runbook if spec.runbook and self.link.has_runbook(spec.runbook) else None)

    async def _notice(self, s: AsyncSession, row: DriftCheck, report: Optional[DriftReport],
                      spec: ModelDrift) -> Notice:
        key, channel = f"drift:{row.model}:{row.id}", spec.channel or self.channel
        if report is None:
            message, _, hint = (row.error or "").partition("\n")
            return Notice.of(messages.failure_context(
                model=row.model, message=message, hint=hint or None, window=row.window_label, trigger=row.trigger),
                key=key, channel=channel)
        return Notice.of(await self._summary(s, row, report, spec), key=key, channel=channel)
