"""Strict parsing of Alertmanager v4 and generic webhook bodies into AlertEvents."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable

from engine.alerts.config import Limits
from engine.alerts.fingerprint import fingerprint_of
from engine.alerts.types import AlertEvent, Batch, Status
from engine.errors import InvalidInput

GO_ZERO_TIME_YEAR = 1  # Alertmanager's "0001-01-01T00:00:00Z" means "no end"
_AM_ALERT_KEYS = {"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}
_GENERIC_TOP = {"source", "groupKey", "receiver", "alerts"}
_GENERIC_ALERT = {"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}


class PayloadTooLarge(InvalidInput):
    """The body or one of its parts exceeds a configured limit (HTTP 413)."""

    code = "payload_too_large"


@lru_cache(maxsize=4096)
def parse_time(value: str, where: str) -> datetime | None:
    """Parse an RFC 3339 timestamp with a zone; Go's zero time becomes None."""
    try:
        dt = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{where} is not an RFC 3339 timestamp: {value!r}") from None
    if dt.tzinfo is None:
        raise InvalidInput(f"{where} has no time zone: {value!r}", hint="use ...Z or an offset")
    return None if dt.year == GO_ZERO_TIME_YEAR else dt


def _load(body: bytes, limits: Limits) -> dict[str, Any]:
    if len(body) > limits.max_body_bytes:
        raise PayloadTooLarge(f"body is {len(body)} bytes, limit is {limits.max_body_bytes}")
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"body is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise InvalidInput("body must be a JSON object")
    return doc


def _str_map(value: Any, where: str, limits: Limits, max_chars: int) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{where} must be an object of strings")
    if len(value) > limits.max_labels:
        raise PayloadTooLarge(f"{where} has {len(value)} entries, limit is {limits.max_labels}")
    for k, v in value.items():
        if not isinstance(v, str):
            raise InvalidInput(f"{where}.{k} must be a string")
        if len(v) > max_chars:
            raise PayloadTooLarge(f"{where}.{k} is {len(v)} characters, limit is {max_chars}")
    return value


def _opt_str(a: dict[str, Any], key: str, where: str) -> str | None:
    v = a.get(key)
    if v is not None and not isinstance(v, str):
        raise InvalidInput(f"{where}.{key} must be a string")
    return v


def _alert(a: Any, where: str, limits: Limits, source: str, group_key: str | None,
           allowed: set[str], hasher: Callable[[bytes], str], volatile: frozenset[str],
           default_status: str | None, group_labels: frozenset[str] | None = None) -> AlertEvent:
    if not isinstance(a, dict):
        raise InvalidInput(f"{where} must be an object")
    if not allowed.issuperset(a):
        raise InvalidInput(f"{where} has unknown fields: {sorted(set(a) - allowed)}")
    labels = _str_map(a.get("labels"), f"{where}.labels", limits, limits.max_label_value_chars)
    if not labels.get("alertname"):
        raise InvalidInput(f"{where}.labels.alertname is required")
    annotations = _str_map(a.get("annotations") or {}, f"{where}.annotations", limits,
                           limits.max_annotation_chars)
    status = a.get("status", default_status)
    if status not in ("firing", "resolved"):
        raise InvalidInput(f"{where}.status must be 'firing' or 'resolved', got {status!r}")
    starts_raw = _opt_str(a, "startsAt", where)
    if not starts_raw:
        raise InvalidInput(f"{where}.startsAt is required")
    starts_at = parse_time(starts_raw, f"{where}.startsAt")
    if starts_at is None:
        raise InvalidInput(f"{where}.startsAt cannot be the zero time")
    ends_raw = _opt_str(a, "endsAt", where)
    ends_at = parse_time(ends_raw, f"{where}.endsAt") if ends_raw else None
    if status == "resolved" and ends_at is None:
        raise InvalidInput(f"{where}.endsAt is required when status is 'resolved'")
    fp = _opt_str(a, "fingerprint", where)
    if fp is not None and not (0 < len(fp) <= 128):
        raise InvalidInput(f"{where}.fingerprint must be 1..128 characters")
    return AlertEvent(
        fingerprint=fp or fingerprint_of(labels, volatile, hasher),
        status=Status(status), labels=labels, annotations=annotations,
        starts_at=starts_at, ends_at=ends_at, source=source, group_key=group_key,
        generator_url=_opt_str(a, "generatorURL", where) or "", group_labels=group_labels)


def _alerts_list(doc: dict[str, Any], limits: Limits) -> list[Any]:
    alerts = doc.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise InvalidInput("alerts must be a non-empty list")
    if len(alerts) > limits.max_alerts:
        raise PayloadTooLarge(f"batch has {len(alerts)} alerts, limit is {limits.max_alerts}")
    return alerts


def parse_alertmanager(body: bytes, limits: Limits, hasher: Callable[[bytes], str],
                       volatile: frozenset[str] = frozenset()) -> Batch:
    """Validate an Alertmanager webhook (version 4) body and return its batch."""
    doc = _load(body, limits)
    if doc.get("version") != "4":
        raise InvalidInput(f"unsupported Alertmanager webhook version {doc.get('version')!r}",
                           hint="Opsbot understands version 4 (Alertmanager >= 0.16)")
    group_key = doc.get("groupKey")
    receiver = doc.get("receiver")
    if not isinstance(group_key, str) or not isinstance(receiver, str):
        raise InvalidInput("groupKey and receiver must be strings")
    group_labels = doc.get("groupLabels", {})
    if not isinstance(group_labels, dict):
        raise InvalidInput("groupLabels must be an object")
    # Unknown top-level fields are accepted (newer Alertmanagers add some, e.g. truncatedAlerts);
    # alert objects are held to the v4 field set.
    names = frozenset(group_labels)
    alerts = tuple(_alert(a, f"alerts[{i}]", limits, "alertmanager", group_key, _AM_ALERT_KEYS,
                          hasher, volatile, None, names)
                   for i, a in enumerate(_alerts_list(doc, limits)))
    return Batch(source="alertmanager", receiver=receiver, group_key=group_key, alerts=alerts)


def parse_generic(body: bytes, limits: Limits, hasher: Callable[[bytes], str],
                  volatile: frozenset[str] = frozenset()) -> Batch:
    """Validate a body in Opsbot's generic alert schema (see SCHEMA.md) and return its batch."""
    doc = _load(body, limits)
    if not _GENERIC_TOP.issuperset(doc):
        raise InvalidInput(f"unknown top-level fields: {sorted(set(doc) - _GENERIC_TOP)}")
    source = doc.get("source")
    if not isinstance(source, str) or not (0 < len(source) <= 64) or source == "alertmanager":
        raise InvalidInput("source must be a 1..64 character name other than 'alertmanager'")
    group_key = _opt_str(doc, "groupKey", "body")
    alerts = tuple(_alert(a, f"alerts[{i}]", limits, source, group_key, _GENERIC_ALERT, hasher,
                          volatile, "firing")
                   for i, a in enumerate(_alerts_list(doc, limits)))
    return Batch(source=source, receiver=_opt_str(doc, "receiver", "body") or source,
                 group_key=group_key, alerts=alerts)
