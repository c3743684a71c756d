"""Build the engine from settings and config: the engine half of the composition root.

Every engine part is constructed here, in dependency order, and nothing patches a part after
it is built: what one feature adds to another (runbook suggestions, hypotheses and the likely
cause on incident messages, anomaly feedback buttons, runbook alias moves recorded by the
model service) is handed in when the receiving part is constructed."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from engine.api import Engine
from engine.core.clock import Clock, SystemClock
from engine.config import OpsbotConfig
from engine.core.leases import Leases
from engine.core.outbox import Outbox, emit_many
from engine.policy import PolicyConfig
from engine.ports import ModelRegistry, UsergroupDirectory
from engine.core.replicas import Presence, replica_identity
from engine.runbooks.config import RunbooksConfig
from engine.core.replays import ReplayGuard
from engine.core.scheduler import LeaseListener, Scheduler
from engine.settings import EngineSettings
from engine.store.db import Database


def build_engine(settings: EngineSettings, config: OpsbotConfig, *, clock: Clock | None = None,
                 on_lease_change: LeaseListener | None = None, environ: Mapping[str, str] | None = None,
                 directory: UsergroupDirectory | None = None, model_registry: ModelRegistry | None = None) -> Engine:
    """Create the engine and every feature service from settings (nothing is started yet).

    `model_registry` replaces the MLflow adapter settings would name with another adapter of the same
    port (tests give the contract-tested twin to reach registry states a real server cannot be put in)."""
    from engine.adapters.alertmanager import AlertmanagerClient, RunbookSilences
    from engine.alerts.correction_service import IncidentCorrections, note_merged
    from engine.alerts.messages import runbook_suggestions
    from engine.alerts.service import AlertService
    from engine.auto import wiring as auto_wiring
    from engine.anomaly.watches import wiring as watches_wiring
    from engine.anomaly.watches.evidence import feedback_buttons
    from engine.drift import wiring as drift_wiring
    from engine.oncall.service import OncallService
    from engine.rca import service as rca
    from engine.runbooks.wiring import build_approvals, build_runbooks
    from engine.warroom import service as warroom

    clock = clock or SystemClock()
    db = Database(settings.database_url)
    # OPSBOT_REPLICA_ID is a display name: two processes given the same one (a copied manifest,
    # `serve --workers N`) still own leases under different identities, so one runs each job.
    replica = replica_identity(settings.replica_id)
    leases = Leases(db, clock, replica)
    scheduler = Scheduler(leases, on_lease_change=on_lease_change, presence=Presence(db, clock, replica))
    base_dir = Path(getattr(config, "_base_dir", None) or Path.cwd())

    # Outside systems: one client each, shared by every feature that talks to it.
    prometheus = _prometheus(settings)
    alerts_config = config.alerts
    if settings.alertmanager_url:  # the environment names the server; the file keeps the rules
        alerts_config = alerts_config.model_copy(update={"alertmanager_url": settings.alertmanager_url})
    alerts_config = watches_wiring.with_watch_routes(alerts_config, config.watches)  # a watch's `channel`
    alertmanager = (AlertmanagerClient(alerts_config.alertmanager_url, timeout_s=alerts_config.alertmanager_timeout_s)
                    if alerts_config.alertmanager_url else None)

    # Governance, then the model service (it asks approvals), then the runbooks (their alias
    # steps move aliases through the model service so the history records them).
    rb_config = config.runbooks or RunbooksConfig()
    audit, policy, approvals = build_approvals(db, clock, replica, config.policy or PolicyConfig(),
                                               rb_config, directory)
    # The kill switch is read between the steps of automatic runs, so the executor gets it at construction.
    switch = auto_wiring.build_switch(db, audit, clock, policy, config)
    models = _build_models(db, clock, settings, config, audit, approvals, policy, model_registry)
    runbook_models = None
    if models is not None:
        from engine.models.runbook_bridge import RecordedAliases

        runbook_models = RecordedAliases(models.registry, models.mover)
    runbooks = build_runbooks(config, rb_config, approvals, policy, metrics=prometheus,
                              silences=RunbookSilences(alertmanager, clock) if alertmanager else None,
                              models=runbook_models, environ=environ or {}, halt=switch.halt)

    # Alerts, with what other features add to the incident message declared up front.
    source = rca.metric_source(config.rca, prometheus)
    oncall = OncallService(config.oncall, clock, base_dir)  # names the owning team's on-call on cards
    # Incident cards with a channel are also rendered there (mirror); the enricher adds the link.
    alerts = AlertService(db, alerts_config, clock, warroom.mirror(emit_many), alertmanager, extensions=[
        oncall.extend_card,
        runbook_suggestions(lambda labels: [lr.runbook.name for lr in runbooks.suggest(labels)], alerts_config),
        *([rca.show_button] if source is not None else []),
        feedback_buttons,
    ], enrichers=[rca.add_likely_cause, warroom.enricher(alerts_config.incident_channel, clock), note_merged,
                  auto_wiring.enrich_incident])
    hypotheses = rca.RcaService(db, config.rca, alerts, clock, source,
                                lambda labels: [lr.runbook.name for lr in runbooks.suggest(labels)])
    if models is not None:  # a hypotheses reply's rollback button stays true after the alias moves
        models.mover.after_move.append(hypotheses.refresh_rollbacks)
    drift = drift_wiring.build_drift(db, clock, config, {"models": models, "runbooks": runbooks})
    watches = watches_wiring.build_watches(db, clock, list(config.watches or []), settings.prometheus_url,
                                           base_dir, alerts.receive)
    engine = Engine(settings=settings, config=config, db=db, clock=clock, replica_id=replica,
                    outbox=Outbox(db, clock), leases=leases, scheduler=scheduler, audit=audit, policy=policy,
                    approvals=approvals, runbooks=runbooks, alerts=alerts, drift=drift, rca=hypotheses,
                    watches=watches, replays=ReplayGuard(db), models=models, oncall=oncall,
                    corrections=IncidentCorrections(alerts, audit, policy, config.environment,
                                                    feedback=alerts.cooccurrence),  # Split/Merge teach grouping
                    auto=auto_wiring.build_auto(db, clock, audit, policy, approvals, runbooks, alerts, switch, config),
                    **_incident_command(db, clock, alerts, audit, policy, directory, oncall))
    _schedule(engine, alerts_config.tick_interval_s, rb_config)
    return engine


def _incident_command(db: Database, clock: Clock, alerts: Any, audit: Any, policy: Any,
                      directory: UsergroupDirectory | None, oncall: Any) -> dict[str, Any]:
    """Return incident channels, postmortem drafts and the Home tab's queries."""
    from engine.home.service import Home
    from engine.postmortem.service import Postmortems
    from engine.warroom.service import IncidentChannels

    from engine.oncall import sources

    # Channels invite the commander and the owning team's on-call; Home lists what a person commands.
    members = sources.channel_members(alerts.cfg, oncall)
    return {"incident_channels": IncidentChannels(db, alerts.cfg.incident_channel, clock, alerts, audit, directory,
                                                  sources=[members]),
            "postmortems": Postmortems(db, clock),
            "home": Home(db, clock, policy, roles=[sources.commanded, sources.on_call_for(alerts.cfg, oncall)],
                         oncall=[sources.oncall_entries(oncall)])}


def _prometheus(settings: EngineSettings) -> Any:
    """Return the Prometheus client named by OPSBOT_PROMETHEUS_URL, or None."""
    if not settings.prometheus_url:
        return None
    from engine.adapters.prometheus import PrometheusMetrics

    return PrometheusMetrics(settings.prometheus_url, timeout_s=settings.request_timeout_s)


def _build_models(db: Database, clock: Clock, settings: EngineSettings, config: OpsbotConfig,
                  audit: Any, approvals: Any, policy: Any, registry: ModelRegistry | None) -> Any:
    """Return the model lifecycle service when a registry is configured, else None."""
    if config.models is None and not settings.mlflow_tracking_uri and registry is None:
        return None
    from engine.models.config import ModelsConfig
    from engine.models.factory import build_model_service

    models_config = config.models or ModelsConfig()
    if settings.mlflow_tracking_uri:  # the environment names the server; the file keeps the rules
        models_config = models_config.model_copy(update={"tracking_uri": settings.mlflow_tracking_uri})
    return build_model_service(db, clock, audit, approvals, policy, models_config, env=config.environment,
                               channel=config.channels.for_family("models"), registry=registry)


WATCH_JOB = "models-watch"


def _schedule(engine: Engine, alerts_tick_s: float, rb_config: RunbooksConfig) -> None:
    """Register every feature's periodic job with the leased scheduler."""
    from engine.anomaly.watches import wiring as watches_wiring
    from engine.drift import wiring as drift_wiring

    add = engine.scheduler.add
    add("alerts-tick", alerts_tick_s, engine.alerts.tick)
    add("replay-prune", 60.0, engine.replays.prune)
    add("approvals-expire", rb_config.expire_job_seconds, engine.approvals.expire_due)
    add("approvals-recover", max(1.0, rb_config.lease_seconds / 2), engine.approvals.recover)
    from engine.audit.anchors import AnchorPublisher

    base_dir = Path(getattr(engine.config, "_base_dir", None) or Path.cwd())
    anchors = AnchorPublisher(engine.audit, engine.config.audit, engine.clock, engine.notify, base_dir)
    add("audit-anchor", engine.config.audit.anchor_interval_s, anchors.publish)
    drift_wiring.schedule(engine.scheduler, engine.drift)
    if engine.models is not None:
        add(WATCH_JOB, engine.models.config.watch_interval_seconds, engine.models.watch_job, wakeable=True)
        engine.models.wake = lambda: engine.scheduler.wake(WATCH_JOB)  # MLflow webhooks wake the leased job
    if engine.rca.source is not None and engine.config.rca.auto_interval_s > 0:
        add("rca-auto", engine.config.rca.auto_interval_s, engine.rca.auto_job)
    watches_wiring.schedule(engine.scheduler, engine.watches)
    if engine.auto is not None:
        from engine.auto.wiring import schedule as auto_schedule

        auto_schedule(engine.scheduler, engine.auto)
