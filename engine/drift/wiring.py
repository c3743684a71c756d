"""Build the drift service onto the engine facade and schedule each model's check."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from engine.drift.config import DriftConfig
from engine.drift.monitor import DriftService
from engine.drift.serving import ArtifactStore, RegistryLink


def build_drift(engine: Any, config: Optional[DriftConfig] = None, *,
                artifacts: Optional[ArtifactStore] = None) -> DriftService:
    """Add `engine.drift` (once) and one leased scheduler job per model with an interval."""
    existing = engine.services.get("drift")
    if existing is not None:
        return existing
    config = config or getattr(engine.config, "drift", None) or DriftConfig()
    channels = getattr(engine.config, "channels", None)
    channel = channels.for_family("drift") if channels is not None else "ops"
    base = getattr(engine.config, "_base_dir", None) or Path.cwd()
    service = DriftService(engine.db, engine.clock, config, channel=channel, base_dir=Path(base),
                           link=RegistryLink(engine.services, artifacts))
    engine.services["drift"] = service
    schedule(engine, service)
    return service


def schedule(engine: Any, service: DriftService) -> None:
    """Register the scheduled check of every model not scheduled yet (also while running)."""
    for name, interval, job in service.jobs():
        engine.scheduler.ensure(name, interval, job)
