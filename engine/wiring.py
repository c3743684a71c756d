"""Build the engine from settings and config: the engine half of the composition root."""

from __future__ import annotations

from typing import Mapping

from engine.api import Engine, default_replica_id
from engine.clock import Clock, SystemClock
from engine.config import OpsbotConfig
from engine.leases import Leases
from engine.outbox import Outbox
from engine.runbooks.wiring import build_governance
from engine.scheduler import LeaseListener, Scheduler
from engine.settings import EngineSettings
from engine.store.db import Database


def build_engine(settings: EngineSettings, config: OpsbotConfig, *, clock: Clock | None = None,
                 on_lease_change: LeaseListener | None = None,
                 environ: Mapping[str, str] | None = None) -> Engine:
    """Create the engine and its feature services (nothing is started yet)."""
    clock = clock or SystemClock()
    db = Database(settings.database_url)
    replica = settings.replica_id or default_replica_id()
    leases = Leases(db, clock, replica)
    engine = Engine(settings=settings, config=config, db=db, clock=clock, replica_id=replica,
                    outbox=Outbox(db, clock), leases=leases,
                    scheduler=Scheduler(leases, on_lease_change=on_lease_change))
    # Runbook steps may pass through allow-listed variables and redact named secrets; the
    # composition root hands the environment in so nothing below reads os.environ itself.
    build_governance(engine, environ=environ or {})
    return engine
