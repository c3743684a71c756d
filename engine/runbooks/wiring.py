"""Build the governance services (audit, policy, approvals, runbooks) for the composition root."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping

from engine.approvals import Approvals
from engine.audit import AuditLog
from engine.core.clock import Clock
from engine.policy import Policy, PolicyConfig
from engine.runbooks.config import RunbooksConfig
from engine.runbooks.executor import HaltCheck, RunbookExecutor
from engine.runbooks.loader import Registry, load_dirs
from engine.ports import AliasControl, DurationSilences, Metrics, UsergroupDirectory
from engine.runbooks.service import RunbookService
from engine.store.db import Database

log = logging.getLogger("opsbot.governance")


def runbook_dirs(config: Any, rb_config: RunbooksConfig) -> list[Path]:
    """Return the runbook directories, relative ones resolved against opsbot.yaml's folder."""
    base = getattr(config, "_base_dir", None) or Path.cwd()
    return [Path(d) if Path(d).is_absolute() else Path(base) / d for d in rb_config.dirs]


def check_runbooks(config: Any) -> Registry:
    """Load the configured runbooks for `opsbot check` (errors are in .errors as file:line lines)."""
    from engine.auto.check import check as check_auto

    rb_config = getattr(config, "runbooks", None) or RunbooksConfig()
    registry = load_dirs(runbook_dirs(config, rb_config))
    policy = getattr(config, "policy", None) or PolicyConfig()
    registry.errors += check_auto(policy, registry.runbooks)  # `auto` only for safe runbooks
    return registry


def build_approvals(db: Database, clock: Clock, replica_id: str, policy_config: PolicyConfig,
                    rb_config: RunbooksConfig, directory: UsergroupDirectory | None
                    ) -> tuple[AuditLog, Policy, Approvals]:
    """Return the audit log, the policy (with its user-group directory) and the approvals service."""
    audit = AuditLog(db, clock)
    policy = Policy(policy_config, directory, clock)
    approvals = Approvals(db, audit, policy, clock, replica_id, lease_s=rb_config.lease_seconds)
    return audit, policy, approvals


def build_runbooks(config: Any, rb_config: RunbooksConfig, approvals: Approvals, policy: Policy, *,
                   metrics: Metrics | None, silences: DurationSilences | None, models: AliasControl | None,
                   environ: Mapping[str, str], halt: HaltCheck | None = None) -> RunbookService:
    """Load the runbooks and register their executor with approvals (before anything runs)."""
    # Runbook steps may pass through allow-listed variables and redact named secrets; the
    # composition root hands the environment in so nothing below reads os.environ itself.
    secrets = {n: environ[n] for n in rb_config.secret_names if n in environ}
    base_env = {n: environ[n] for n in rb_config.env_passthrough if n in environ}
    approvals.register(RunbookExecutor(metrics=metrics, silences=silences, registry=models, secrets=secrets,
                                       base_env=base_env, output_limit=rb_config.output_limit, halt=halt))
    registry = load_dirs(runbook_dirs(config, rb_config))
    for problem in registry.errors:
        log.error("runbook not loaded: %s", problem)
    channel = rb_config.channel or config.channels.for_family("approvals")
    return RunbookService(registry, approvals, policy, channel, models)
