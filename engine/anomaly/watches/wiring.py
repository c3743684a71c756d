"""Build the watches service for the composition root and schedule one leased job per watch."""

from __future__ import annotations

from pathlib import Path

from engine.alerts.config import AlertsConfig, Route
from engine.anomaly.watches.config import WatchConfig
from engine.anomaly.watches.service import Receive, WatchService
from engine.anomaly.watches.sources import build_source
from engine.core.clock import Clock
from engine.core.outbox import emit
from engine.core.scheduler import Scheduler
from engine.store.db import Database


def with_watch_routes(cfg: AlertsConfig, watches: list[WatchConfig]) -> AlertsConfig:
    """Return the alerts config with a route per watch channel, ahead of the configured routes."""
    channels = sorted({w.channel for w in watches if w.channel})
    if not channels:
        return cfg
    routes = [Route(match={"opsbot_channel": c}, channel=c) for c in channels]
    return cfg.model_copy(update={"routes": [*routes, *cfg.routes]})


def build_watches(db: Database, clock: Clock, watches: list[WatchConfig], prometheus_url: str | None,
                  base_dir: Path, receive: Receive) -> WatchService:
    """Return the watches service with a source per configured watch."""
    sources = {w.name: build_source(w, prometheus_url, base_dir) for w in watches}
    return WatchService(db, clock, watches, sources, receive, emit)


def schedule(scheduler: Scheduler, service: WatchService) -> None:
    """Register each watch's job not registered yet (also while the scheduler runs)."""
    for name, interval, fn in service.jobs():
        scheduler.ensure(name, interval, fn)
