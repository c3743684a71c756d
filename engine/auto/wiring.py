"""Build auto-remediation for the composition root (engine/wiring.py)."""

from __future__ import annotations

import logging
from typing import Any

from engine.auto.card import enrich_incident
from engine.auto.check import check
from engine.auto.modes import ModeExecutor
from engine.auto.service import JOB, AutoService
from engine.auto.switch import KillSwitch

__all__ = ["build_auto", "build_switch", "enrich_incident", "schedule"]
log = logging.getLogger("opsbot.auto")


def build_switch(db: Any, audit: Any, clock: Any, policy: Any, config: Any) -> KillSwitch:
    """Return the kill switch (built before the runbooks: their executor reads it between steps)."""
    channel = config.auto.channel or config.channels.default
    return KillSwitch(db, audit, clock, policy, config.environment, channel)


def build_auto(db: Any, clock: Any, audit: Any, policy: Any, approvals: Any, runbooks: Any, alerts: Any,
               switch: KillSwitch, config: Any) -> AutoService:
    """Return the auto service and register the executor of its approved mode changes."""
    auto = AutoService(db=db, clock=clock, audit=audit, policy=policy, approvals=approvals, runbooks=runbooks,
                       alerts=alerts, switch=switch, config=config.auto,
                       channel=config.auto.channel or config.channels.default)
    approvals.register(ModeExecutor(auto))
    # `opsbot check` refuses these; a server started anyway records such firings in shadow (safety.py).
    for problem in check(policy.config, runbooks.registry.runbooks):
        log.error("auto-remediation refused: %s", problem)
    return auto


def schedule(scheduler: Any, auto: AutoService) -> None:
    """Register the leased evaluation job (one replica at a time)."""
    scheduler.add(JOB, auto.config.interval_s, auto.evaluate, wakeable=True)
