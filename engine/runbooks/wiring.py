"""Build the governance services (audit, policy, approvals, runbooks) onto the engine facade."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping

from engine.approvals import Approvals
from engine.audit import AuditLog
from engine.policy import Policy, PolicyConfig, UsergroupDirectory
from engine.runbooks.config import RunbooksConfig
from engine.runbooks.executor import RunbookExecutor
from engine.runbooks.loader import Registry, load_dirs
from engine.runbooks.ports import MetricsQuery, ModelRegistry, SilenceAPI
from engine.runbooks.service import RunbookService

log = logging.getLogger("opsbot.governance")


def runbook_dirs(config: Any, rb_config: RunbooksConfig) -> list[Path]:
    """Return the runbook directories, relative ones resolved against opsbot.yaml's folder."""
    base = getattr(config, "_base_dir", None) or Path.cwd()
    return [Path(d) if Path(d).is_absolute() else Path(base) / d for d in rb_config.dirs]


def check_runbooks(config: Any) -> Registry:
    """Load the configured runbooks for `opsbot check` (errors are in .errors as file:line lines)."""
    rb_config = getattr(config, "runbooks", None) or RunbooksConfig()
    return load_dirs(runbook_dirs(config, rb_config))


def build_governance(engine: Any, *, policy_config: PolicyConfig | None = None,
                     runbooks_config: RunbooksConfig | None = None,
                     directory: UsergroupDirectory | None = None, models: ModelRegistry | None = None,
                     metrics: MetricsQuery | None = None, silences: SilenceAPI | None = None,
                     environ: Mapping[str, str] | None = None) -> None:
    """Add services audit, policy, approvals, runbooks to engine.services and their scheduled jobs."""
    config = engine.config
    policy_config = policy_config or getattr(config, "policy", None) or PolicyConfig()
    rb_config = runbooks_config or getattr(config, "runbooks", None) or RunbooksConfig()
    environ = dict(environ or {})
    audit = AuditLog(engine.db, engine.clock)
    policy = Policy(policy_config, directory, engine.clock)
    approvals = Approvals(engine.db, audit, policy, engine.clock, engine.replica_id,
                          lease_s=rb_config.lease_seconds)
    secrets = {n: environ[n] for n in rb_config.secret_names if n in environ}
    base_env = {n: environ[n] for n in rb_config.env_passthrough if n in environ}
    approvals.register(RunbookExecutor(metrics=metrics, silences=silences, registry=models, secrets=secrets,
                                       base_env=base_env, output_limit=rb_config.output_limit))
    registry = load_dirs(runbook_dirs(config, rb_config))
    for problem in registry.errors:
        log.error("runbook not loaded: %s", problem)
    channel = rb_config.channel or config.channels.for_family("approvals")
    runbooks = RunbookService(registry, approvals, policy, channel, models)
    engine.services.update(audit=audit, policy=policy, approvals=approvals, runbooks=runbooks)
    engine.scheduler.add("approvals-expire", rb_config.expire_job_seconds, approvals.expire_due)
    engine.scheduler.add("approvals-recover", max(1.0, rb_config.lease_seconds / 2), approvals.recover)
