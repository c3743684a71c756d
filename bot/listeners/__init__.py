"""Every listener family, registered explicitly in this order (help lists them so)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.listeners import admin, alerts, core, drift, models, runbooks
from bot.listeners import rca
from bot.listeners import anomaly
from bot.listeners import auto, home, warroom

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.deps import Deps

FAMILIES = [core, alerts, models, drift, runbooks, admin]
FAMILIES.insert(FAMILIES.index(alerts) + 1, rca)
FAMILIES.insert(FAMILIES.index(rca) + 1, anomaly)
FAMILIES.insert(FAMILIES.index(anomaly) + 1, warroom)
FAMILIES.insert(FAMILIES.index(runbooks) + 1, auto)
FAMILIES.append(home)


def register_all(app: "AsyncApp", deps: "Deps") -> None:
    """Register every family's commands and actions on the app."""
    for family in FAMILIES:
        family.register(app, deps)
