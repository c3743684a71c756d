"""Build the watches service onto the engine and schedule one leased job per watch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.alerts.config import AlertsConfig, Route
from engine.anomaly.watches.config import WatchConfig
from engine.anomaly.watches.evidence import feedback_buttons
from engine.anomaly.watches.service import WatchService
from engine.anomaly.watches.sources import build_source
from engine.outbox import emit

SERVICE = "watches"


def with_watch_routes(cfg: AlertsConfig, watches: list[WatchConfig]) -> AlertsConfig:
    """Return the alerts config with a route per watch channel, ahead of the configured routes."""
    channels = sorted({w.channel for w in watches if w.channel})
    if not channels:
        return cfg
    routes = [Route(match={"opsbot_channel": c}, channel=c) for c in channels]
    return cfg.model_copy(update={"routes": [*routes, *cfg.routes]})


def build_watches(engine: Any, watches: list[WatchConfig] | None = None) -> WatchService:
    """Add `engine.watches` (once) with a source and a scheduled job per configured watch."""
    existing = engine.services.get(SERVICE)
    if existing is not None:
        return existing
    watches = list(watches if watches is not None else getattr(engine.config, "watches", []) or [])
    base = Path(getattr(engine.config, "_base_dir", None) or Path.cwd())
    url = engine.settings.prometheus_url
    sources = {w.name: build_source(w, url, base) for w in watches}
    service = WatchService(engine.db, engine.clock, watches, sources, engine.alerts.receive, emit)
    engine.services[SERVICE] = service
    extensions = getattr(engine.alerts, "extensions", None)
    if extensions is not None:  # the incident message's own buttons, when alerts offers them
        extensions.append(feedback_buttons)
    schedule(engine, service)
    return service


def add_watch(engine: Any, watch: WatchConfig, base_dir: Path | None = None) -> WatchService:
    """Add one watch to a running engine and schedule it (the demo and tests use this)."""
    service = build_watches(engine)
    source = build_source(watch, engine.settings.prometheus_url, base_dir or Path.cwd())
    service.add(watch, source)
    schedule(engine, service)
    return service


def schedule(engine: Any, service: WatchService) -> None:
    """Register each watch's job not registered yet (also while the scheduler runs)."""
    for name, interval, fn in service.jobs():
        engine.scheduler.ensure(name, interval, fn)
