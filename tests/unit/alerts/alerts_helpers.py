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
