"""Build the drift service for the composition root and schedule each model's check."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional

from engine.core.clock import Clock
from engine.config import OpsbotConfig
from engine.drift.config import DriftConfig
from engine.drift.monitor import DriftService
from engine.drift.serving import RegistryLink
from engine.ports import ArtifactStore
from engine.core.scheduler import Scheduler
from engine.store.db import Database


def build_drift(db: Database, clock: Clock, config: OpsbotConfig, neighbours: Mapping[str, Any], *,
                artifacts: Optional[ArtifactStore] = None) -> DriftService:
    """Return the drift service; `neighbours` holds the built `models` and `runbooks` services."""
    drift_config = getattr(config, "drift", None) or DriftConfig()
    base = getattr(config, "_base_dir", None) or Path.cwd()
    return DriftService(db, clock, drift_config, channel=config.channels.for_family("drift"),
                        base_dir=Path(base), link=RegistryLink(neighbours, artifacts))


def schedule(scheduler: Scheduler, service: DriftService) -> None:
    """Register the scheduled check of every model not scheduled yet (also while running)."""
    for name, interval, job in service.jobs():
        scheduler.ensure(name, interval, job)
