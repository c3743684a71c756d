"""Build the engine from settings and config: the engine half of the composition root."""

from __future__ import annotations

from typing import Mapping

from engine.api import Engine, default_replica_id
from engine.clock import Clock, SystemClock
from engine.config import OpsbotConfig
from engine.leases import Leases
from engine.outbox import Outbox, emit
from engine.replays import ReplayGuard
from engine.adapters.alertmanager import RunbookSilences
from engine.alerts.service import build_alert_service
from engine.alerts.messages import runbook_suggestions
from engine.drift.wiring import build_drift
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
    # Signed requests already accepted, shared by every replica (see engine/replays.py).
    engine.services["replays"] = replays = ReplayGuard(db)
    engine.scheduler.add("replay-prune", 60.0, replays.prune)
    # Runbook steps may pass through allow-listed variables and redact named secrets; the
    # composition root hands the environment in so nothing below reads os.environ itself.
    alerts_config = config.alerts
    if settings.alertmanager_url:  # the environment names the server; the file keeps the rules
        alerts_config = alerts_config.model_copy(update={"alertmanager_url": settings.alertmanager_url})
    from engine.anomaly.watches.wiring import build_watches, with_watch_routes
    alerts_config = with_watch_routes(alerts_config, config.watches)  # a watch's `channel`
    alerts = build_alert_service(db, alerts_config, clock, emit)
    engine.services["alerts"] = alerts
    engine.scheduler.add("alerts-tick", alerts_config.tick_interval_s, alerts.tick)
    silences = RunbookSilences(alerts.silences, clock) if alerts.silences is not None else None
    build_governance(engine, environ=environ or {}, silences=silences)
    alerts.extensions.append(runbook_suggestions(
        lambda labels: [lr.runbook.name for lr in engine.runbooks.suggest(labels)], alerts_config))
    build_drift(engine)
    if config.models is not None or settings.mlflow_tracking_uri:
        _build_models(engine, settings, config)
    from engine.rca.service import build_rca
    engine.services["rca"] = build_rca(engine)
    build_watches(engine)
    return engine


def _build_models(engine: Engine, settings: EngineSettings, config: OpsbotConfig) -> None:
    """Add the model lifecycle service, its registry watch, and route runbook alias moves through it."""
    from engine.models.config import ModelsConfig
    from engine.models.factory import build_model_service
    from engine.models.runbook_bridge import RecordedAliases
    from engine.runbooks.executor import KIND as RUNBOOK_KIND

    models_config = config.models or ModelsConfig()
    if settings.mlflow_tracking_uri:  # the environment names the server; the file keeps the rules
        models_config = models_config.model_copy(update={"tracking_uri": settings.mlflow_tracking_uri})
    service = build_model_service(engine.db, engine.clock, engine.audit, engine.approvals, engine.policy,
                                  models_config, env=config.environment,
                                  channel=config.channels.for_family("models"))
    engine.services["models"] = service
    engine.scheduler.add("models-watch", models_config.watch_interval_seconds, service.watch_job)
    # Alias moves made by a runbook step go through the same intent/move/confirm history.
    engine.approvals.executors[RUNBOOK_KIND].registry = RecordedAliases(service.registry, service.mover)
