"""Pure trigger matching: does an incident's alert fit a trigger, and if not, the named reason why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Sequence

from engine.alerts.types import AlertState, Status
from engine.auto.spec import TriggerSpec, label_fits
from engine.auto.tables import AutoTrigger


@dataclass(frozen=True)
class AlertView:
    """What matching reads from one alert of an incident."""

    labels: dict[str, str]
    firing: bool
    starts_at: datetime


@dataclass(frozen=True)
class Match:
    """The verdict for one trigger on one incident: a named reason, and the alerts that matched."""

    matched: bool
    reason: str
    detail: str
    labels: list[dict[str, str]] = field(default_factory=list)


def trigger_id(runbook: str, trigger: str) -> str:
    """Return the id a trigger is known by: <runbook>/<trigger>."""
    return f"{runbook}/{trigger}"


def match(trig: TriggerSpec, alerts: Sequence[AlertView], now: datetime, severity_label: str = "severity") -> Match:
    """Return whether a firing alert of the incident fits the trigger's labels, severity and firing time."""
    firing = [a for a in alerts if a.firing]
    if not firing:
        return Match(False, "nothing_firing", "no alert of the incident is firing")
    wanted = trig.wanted()
    by_labels = [a for a in firing if all(label_fits(p, a.labels.get(k)) for k, p in wanted.items())]
    if not by_labels:
        shown = ", ".join(f"{k}={p}" for k, p in sorted(wanted.items()))
        return Match(False, "labels_differ", f"no firing alert carries {shown}")
    severities = trig.alert.severity if trig.alert is not None else []
    by_sev = [a for a in by_labels if not severities or a.labels.get(severity_label) in severities]
    if not by_sev:
        return Match(False, "severity_differs", f"matching alerts are not {' or '.join(severities)}")
    need = trig.min_firing_s()
    long_enough = [a for a in by_sev if (now - a.starts_at).total_seconds() >= need]
    if not long_enough:
        longest = max((now - a.starts_at).total_seconds() for a in by_sev)
        return Match(False, "firing_too_briefly", f"needs {need:g}s of firing, the longest has {longest:.0f}s")
    return Match(True, "matched", f"{len(long_enough)} firing alert{'' if len(long_enough) == 1 else 's'} fit{'s' if len(long_enough) == 1 else ''}", [dict(a.labels) for a in long_enough])


def fixed_and_labelled(trig: TriggerSpec, parameters: dict[str, Any], prefilled: dict[str, Any]) -> dict[str, Any]:
    """Return the run's arguments: values from the alert labels, then the trigger's fixed values over them."""
    return {k: v for k, v in prefilled.items() if k in parameters} | dict(trig.parameters)


def views(alerts: Sequence[AlertState]) -> list[AlertView]:
    """Return what matching reads from an incident's alerts."""
    return [AlertView(dict(a.labels), a.status == Status.FIRING, a.starts_at) for a in alerts]


def effective_mode(spec: TriggerSpec, row: AutoTrigger | None) -> str:
    """Return the mode in force: the file's, unless promoted, tripped or re-armed since."""
    return spec.mode if row is None or row.source == "config" else row.mode


def could_match(trig: TriggerSpec, alertnames: Sequence[str]) -> bool:
    """Return False when the incident holds no alert of the trigger's exact alertname (skips a detail read)."""
    name = trig.wanted().get("alertname")
    if name is None or name.startswith("~"):
        return True
    return name in alertnames
