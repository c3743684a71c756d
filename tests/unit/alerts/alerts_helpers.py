"""Builders for alert events and states used by the pure-stage tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from engine.alerts.types import AlertEvent, Status

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    """Return T0 plus seconds."""
    return T0 + timedelta(seconds=seconds)


def ev(name: str = "HighLatency", service: str = "checkout", status: str = "firing", start: float = 0,
       fp: str | None = None, group_key: str | None = None, **labels: str) -> AlertEvent:
    """Build an alert event with sensible labels."""
    lab = {"alertname": name, "service": service, "severity": "warning", **labels}
    return AlertEvent(fingerprint=fp or f"{name}:{service}:{labels.get('instance', '0')}",
                      status=Status(status), labels=lab, annotations={}, starts_at=at(start),
                      ends_at=at(start + 60) if status == "resolved" else None, group_key=group_key)


def feed(events, cfg):  # noqa: ANN001, ANN201 - test helper
    """Run (seconds, event) pairs through the pipeline one by one; return the state and each alert's last group decision."""
    from engine.alerts.pipeline import PipelineState, process

    state, last = PipelineState({}, {}), {}
    for when, e in events:
        for d in process(state, [e], cfg, at(when)).decisions:
            if d.stage == "group":
                last[d.fingerprint] = d
    return state, last


def incident_of(state, fp: str):  # noqa: ANN001, ANN201 - test helper
    """Return the incident id an alert ended in."""
    return state.alerts[fp].incident_id
