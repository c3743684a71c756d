"""Strict parsing of Alertmanager v4 and generic webhook bodies into AlertEvents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable

import orjson

from engine.alerts.config import Limits
from engine.alerts.fingerprint import fingerprint_of
from engine.alerts.types import ALERTNAME_CHARS, SEVERITY_CHARS, AlertEvent, Batch, Status
from engine.errors import InvalidInput

GO_ZERO_TIME_YEAR = 1  # Alertmanager's "0001-01-01T00:00:00Z" means "no end"
_AM_ALERT_KEYS = frozenset({"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL",
                            "fingerprint"})
_GENERIC_TOP = frozenset({"source", "groupKey", "receiver", "alerts"})
_GENERIC_ALERT = _AM_ALERT_KEYS
_STATUS = {"firing": Status.FIRING, "resolved": Status.RESOLVED}
_BAD_TIME = object()  # cached marker: the value failed to parse
_NO_ZONE = object()  # cached marker: the value parsed but carries no zone


class PayloadTooLarge(InvalidInput):
    """The body or one of its parts exceeds a configured limit (HTTP 413)."""

    code = "payload_too_large"


@lru_cache(maxsize=65536)
def _time(value: str) -> Any:
    # Cached by value alone: a storm repeats the same few timestamps in every batch.
    try:
        dt = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return _BAD_TIME
    if dt.tzinfo is None:
        return _NO_ZONE
    return None if dt.year == GO_ZERO_TIME_YEAR else dt


def parse_time(value: str, where: str) -> datetime | None:
    """Parse an RFC 3339 timestamp with a zone; Go's zero time becomes None."""
    dt = _time(value) if isinstance(value, str) else _BAD_TIME
    if dt is _BAD_TIME:
        raise InvalidInput(f"{where} is not an RFC 3339 timestamp: {value!r}")
    if dt is _NO_ZONE:
        raise InvalidInput(f"{where} has no time zone: {value!r}", hint="use ...Z or an offset")
    return dt


def _load(body: bytes, limits: Limits) -> dict[str, Any]:
    if len(body) > limits.max_body_bytes:
        raise PayloadTooLarge(f"body is {len(body)} bytes, limit is {limits.max_body_bytes}")
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"body is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise InvalidInput("body must be a JSON object")
    # JSON can carry U+0000 only escaped; PostgreSQL text cannot store it at all. A body
    # without a backslash has no escape (one memchr); the walk runs only to name the field.
    if b"\\" in body and b"\\u0000" in body:
        where = nul_field(doc, "body")
        if where:
            raise InvalidInput(f"{where} contains a NUL character (U+0000)", hint="remove it; no field may hold one")
    return doc


def nul_field(value: Any, where: str) -> str | None:
    """Return the path of the first string (key or value) holding U+0000, else None."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for k, v in value.items():
            if "\x00" in k:
                return f"{where} key {k!r}"
            found = nul_field(v, f"{where}.{k}" if where != "body" else k)
            if found:
                return found
    if isinstance(value, list):
        for n, v in enumerate(value):
            found = nul_field(v, f"{where}[{n}]" if where != "body" else f"[{n}]")
            if found:
                return found
    return None


def column_problem(batch: Batch, severity_label: str) -> str | None:
    """Return why a parsed batch would not fit the alert tables (label widths), else None."""
    for i, a in enumerate(batch.alerts):
        sev = a.labels.get(severity_label)
        if sev is not None and len(sev) > SEVERITY_CHARS:
            return f"alerts[{i}].labels.{severity_label} is {len(sev)} characters, limit is {SEVERITY_CHARS}"
    return None


def _str_map(value: Any, where: str, limits: Limits, max_chars: int) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{where} must be an object of strings")
    if len(value) > limits.max_labels:
        raise PayloadTooLarge(f"{where} has {len(value)} entries, limit is {limits.max_labels}")
    for k, v in value.items():
        if v.__class__ is not str or len(v) > max_chars:  # the common case costs two checks
            if not isinstance(v, str):
                raise InvalidInput(f"{where}.{k} must be a string")
            if len(v) > max_chars:
                raise PayloadTooLarge(f"{where}.{k} is {len(v)} characters, limit is {max_chars}")
    return value


def _fine(value: Any, max_entries: int, max_chars: int) -> bool:
    """Return True for a small enough object of short enough strings (the fast path)."""
    if value.__class__ is not dict or len(value) > max_entries:
        return False
    for v in value.values():
        if v.__class__ is not str or len(v) > max_chars:
            return False
    return True


def _opt_str(a: dict[str, Any], key: str, where: str) -> str | None:
    v = a.get(key)
    if v is not None and not isinstance(v, str):
        raise InvalidInput(f"{where}.{key} must be a string")
    return v


def _alert(a: Any, i: int, limits: Limits, source: str, group_key: str | None,
           allowed: frozenset[str], hasher: Callable[[bytes], str], volatile: frozenset[str],
           default_status: str | None, group_labels: frozenset[str] | None = None) -> AlertEvent:
    # Runs for every alert of every batch: the common case is checked inline (no helper calls),
    # and every failure goes through the precise check that formats its message.
    if a.__class__ is not dict and not isinstance(a, dict):
        raise InvalidInput(f"alerts[{i}] must be an object")
    if not a.keys() <= allowed:
        raise InvalidInput(f"alerts[{i}] has unknown fields: {sorted(set(a) - allowed)}")
    get = a.get
    labels = get("labels")
    if not _fine(labels, limits.max_labels, limits.max_label_value_chars):
        _str_map(labels, f"alerts[{i}].labels", limits, limits.max_label_value_chars)  # raises
    name = labels.get("alertname")
    if not name:
        raise InvalidInput(f"alerts[{i}].labels.alertname is required")
    if len(name) > ALERTNAME_CHARS:
        raise InvalidInput(f"alerts[{i}].labels.alertname is {len(name)} characters, limit is {ALERTNAME_CHARS}")
    annotations = get("annotations") or {}
    if not _fine(annotations, limits.max_labels, limits.max_annotation_chars):
        _str_map(annotations, f"alerts[{i}].annotations", limits, limits.max_annotation_chars)
    raw_status = get("status", default_status)
    status = _STATUS.get(raw_status) if isinstance(raw_status, str) else None
    if status is None:
        raise InvalidInput(f"alerts[{i}].status must be 'firing' or 'resolved', got {raw_status!r}")
    starts_raw, ends_raw = get("startsAt"), get("endsAt")
    fp, url = get("fingerprint"), get("generatorURL")
    if not ((starts_raw is None or starts_raw.__class__ is str) and (ends_raw is None or ends_raw.__class__ is str)
            and (fp is None or fp.__class__ is str) and (url is None or url.__class__ is str)):
        for key in ("startsAt", "endsAt", "fingerprint", "generatorURL"):
            _opt_str(a, key, f"alerts[{i}]")  # raises on the first that is not a string
    if not starts_raw:
        raise InvalidInput(f"alerts[{i}].startsAt is required")
    starts_at = _time(starts_raw)
    if starts_at is _BAD_TIME or starts_at is _NO_ZONE:
        parse_time(starts_raw, f"alerts[{i}].startsAt")  # raises with the precise message
    if starts_at is None:
        raise InvalidInput(f"alerts[{i}].startsAt cannot be the zero time")
    ends_at = _time(ends_raw) if ends_raw else None
    if ends_at is _BAD_TIME or ends_at is _NO_ZONE:
        parse_time(ends_raw, f"alerts[{i}].endsAt")  # raises
    if ends_at is None and status is Status.RESOLVED:
        raise InvalidInput(f"alerts[{i}].endsAt is required when status is 'resolved'")
    if fp is not None and not (0 < len(fp) <= 128):
        raise InvalidInput(f"alerts[{i}].fingerprint must be 1..128 characters")
    return AlertEvent(fp or fingerprint_of(labels, volatile, hasher), status, labels, annotations,
                      starts_at, ends_at, source, group_key, url or "", group_labels)


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
    alerts = tuple(_alert(a, i, limits, "alertmanager", group_key, _AM_ALERT_KEYS,
                          hasher, volatile, None, names)
                   for i, a in enumerate(_alerts_list(doc, limits)))
    return Batch(source="alertmanager", receiver=receiver, group_key=group_key, alerts=alerts)


def parse_generic(body: bytes, limits: Limits, hasher: Callable[[bytes], str],
                  volatile: frozenset[str] = frozenset()) -> Batch:
    """Validate a body in Opsbot's generic alert schema (see SCHEMA.md) and return its batch."""
    doc = _load(body, limits)
    if not doc.keys() <= _GENERIC_TOP:
        raise InvalidInput(f"unknown top-level fields: {sorted(set(doc) - _GENERIC_TOP)}")
    source = doc.get("source")
    if not isinstance(source, str) or not (0 < len(source) <= 64) or source == "alertmanager":
        raise InvalidInput("source must be a 1..64 character name other than 'alertmanager'")
    group_key = _opt_str(doc, "groupKey", "body")
    alerts = tuple(_alert(a, i, limits, source, group_key, _GENERIC_ALERT, hasher,
                          volatile, "firing")
                   for i, a in enumerate(_alerts_list(doc, limits)))
    return Batch(source=source, receiver=_opt_str(doc, "receiver", "body") or source,
                 group_key=group_key, alerts=alerts)


@dataclass(frozen=True, slots=True)
class ParseDecision:
    """The door's verdict on one body: accepted (with its batch), too_large or invalid, and why."""

    name: str  # accepted | too_large | invalid | missing_column
    reason: str
    batch: Batch | None = None
    error: InvalidInput | None = None  # what the sender is answered (413 or 400, with its hint)


class ParseStage:
    """The pipeline's first stage, run at the door before anything is stored: validate a body."""

    name = "parse"

    def __init__(self, limits: Limits, hasher: Callable[[bytes], str], volatile: frozenset[str],
                 severity_label: str) -> None:
        self.limits, self.hasher, self.volatile, self.severity_label = limits, hasher, volatile, severity_label

    def decide(self, kind: str, body: bytes) -> ParseDecision:
        """Validate a body of the given kind (alertmanager | generic) into a named verdict."""
        fn = parse_alertmanager if kind == "alertmanager" else parse_generic
        try:
            batch = fn(body, self.limits, self.hasher, self.volatile)
        except PayloadTooLarge as exc:
            return ParseDecision("too_large", exc.message, error=exc)
        except InvalidInput as exc:
            return ParseDecision("invalid", exc.message, error=exc)
        problem = column_problem(batch, self.severity_label)
        if problem:
            return ParseDecision("missing_column", problem, error=InvalidInput(problem))
        return ParseDecision("accepted", f"{len(batch.alerts)} alerts", batch)
