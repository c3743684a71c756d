"""The engine's facade: the one object the bot talks to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.core.clock import Clock
from engine.config import OpsbotConfig
from engine.core.leases import Leases
from engine.core.notices import Notice
from engine.core.outbox import Outbox, emit
from engine.core.scheduler import Scheduler
from engine.settings import EngineSettings
from engine.store.db import Database

if TYPE_CHECKING:  # the facade names every feature's type without importing the feature stacks
    from engine.alerts.correction_service import IncidentCorrections
    from engine.alerts.service import AlertService
    from engine.anomaly.watches.service import WatchService
    from engine.approvals import Approvals
    from engine.audit import AuditLog
    from engine.auto.service import AutoService
    from engine.drift.monitor import DriftService
    from engine.models.service import ModelService
    from engine.oncall.service import OncallService
    from engine.policy import Policy
    from engine.rca.service import RcaService
    from engine.core.replays import ReplayGuard
    from engine.home.service import Home
    from engine.postmortem.service import Postmortems
    from engine.runbooks.service import RunbookService
    from engine.warroom.service import IncidentChannels


@dataclass
class Engine:
    """Holds the store, the clock, the config, and one service per feature (built by engine.wiring)."""

    settings: EngineSettings
    config: OpsbotConfig
    db: Database
    clock: Clock
    replica_id: str
    outbox: Outbox
    leases: Leases
    scheduler: Scheduler
    audit: AuditLog
    policy: Policy
    approvals: Approvals
    runbooks: RunbookService
    alerts: AlertService
    drift: DriftService
    rca: RcaService
    watches: WatchService
    replays: ReplayGuard  # signed requests already accepted, shared by every replica
    oncall: OncallService | None = None  # who is on call per team (built by engine.wiring)
    models: ModelService | None = None  # None when neither opsbot.yaml nor MLFLOW_TRACKING_URI names a registry
    # Incident command (built by engine.wiring right after the rest; None only in hand-built engines).
    incident_channels: IncidentChannels | None = None
    postmortems: Postmortems | None = None
    home: Home | None = None
    corrections: IncidentCorrections | None = None  # Split and Merge on incident messages (build_engine sets it)
    auto: AutoService | None = None  # auto-remediation triggers (engine/auto); None only in hand-built test engines

    async def notify(self, notice: Notice) -> None:
        """Queue a notice on its own (for callers without a state change to pair it with)."""
        async with self.db.session() as s:
            await emit(s, notice, self.clock.now())

    async def close(self) -> None:
        """Stop background work and release the store."""
        await self.scheduler.stop()
        await self.alerts.aclose()
        await self.approvals.aclose()
        await self.drift.aclose()
        await self.db.dispose()
