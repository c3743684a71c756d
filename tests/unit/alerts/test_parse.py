"""Strict parsing of Alertmanager v4 and generic bodies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.alerts.config import Limits
from engine.alerts.fingerprint import fingerprint_of, sha256_hex
from engine.alerts.parse import PayloadTooLarge, parse_alertmanager, parse_generic
from engine.errors import InvalidInput

CAPTURE = Path(__file__).resolve().parents[2] / "fixtures" / "alerts" / "webhook-v4-firing-then-resolved.jsonl"
LIM = Limits()


def _capture() -> list[dict]:
    return [json.loads(line) for line in CAPTURE.read_text().splitlines() if line.strip()]


def test_real_capture_firing_has_no_end_and_keeps_fingerprint():
    firing, resolved = _capture()
    b = parse_alertmanager(json.dumps(firing).encode(), LIM, sha256_hex)
    a = b.alerts[0]
    assert a.fingerprint == "7a5469aab64c84f9" and a.ends_at is None and a.status.value == "firing"
    assert b.group_key == '{}:{alertname="ModelAccuracyLow"}' and a.group_key == b.group_key
    r = parse_alertmanager(json.dumps(resolved).encode(), LIM, sha256_hex).alerts[0]
    assert r.status.value == "resolved" and r.ends_at is not None and r.ends_at > r.starts_at


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.update(version="3"), "version"),
    (lambda d: d.update(alerts=[]), "non-empty"),
    (lambda d: d["alerts"][0].update(status="bogus"), "status"),
    (lambda d: d["alerts"][0].update(startsAt="yesterday"), "startsAt"),
    (lambda d: d["alerts"][0].update(startsAt="2026-11-27T12:56:29"), "time zone"),
    (lambda d: d["alerts"][0]["labels"].update(model=3), "labels.model"),
    (lambda d: d["alerts"][0]["labels"].pop("alertname"), "alertname"),
    (lambda d: d["alerts"][0].update(extra=1), "unknown fields"),
    (lambda d: d.update(groupKey=None), "groupKey"),
])
def test_alertmanager_rejections_name_the_problem(mutate, message):
    body = _capture()[1]
    mutate(body)
    with pytest.raises(InvalidInput, match=message):
        parse_alertmanager(json.dumps(body).encode(), LIM, sha256_hex)


def test_resolved_needs_an_end():
    body = _capture()[1]
    body["alerts"][0]["endsAt"] = "0001-01-01T00:00:00Z"
    with pytest.raises(InvalidInput, match="endsAt is required"):
        parse_alertmanager(json.dumps(body).encode(), LIM, sha256_hex)


def test_size_limits():
    with pytest.raises(PayloadTooLarge, match="bytes"):
        parse_alertmanager(b"{" + b" " * 200 + b"}", Limits(max_body_bytes=100), sha256_hex)
    body = _capture()[0]
    body["alerts"] = body["alerts"] * 3
    with pytest.raises(PayloadTooLarge, match="3 alerts"):
        parse_alertmanager(json.dumps(body).encode(), Limits(max_alerts=2), sha256_hex)
    with pytest.raises(InvalidInput, match="not valid JSON"):
        parse_alertmanager(b"{nope", LIM, sha256_hex)


def test_generic_schema_computes_fingerprint_without_volatile_labels():
    body = {"source": "cron", "alerts": [{"labels": {"alertname": "BackupFailed", "job": "db",
                                                      "pod_ip": "10.0.0.1"},
                                           "startsAt": "2026-11-27T12:00:00Z"}]}
    a = parse_generic(json.dumps(body).encode(), LIM, sha256_hex, frozenset({"pod_ip"})).alerts[0]
    body["alerts"][0]["labels"]["pod_ip"] = "10.0.0.2"
    b = parse_generic(json.dumps(body).encode(), LIM, sha256_hex, frozenset({"pod_ip"})).alerts[0]
    assert a.fingerprint == b.fingerprint == fingerprint_of({"alertname": "BackupFailed", "job": "db"}, frozenset())
    assert a.status.value == "firing" and a.source == "cron"


def test_generic_schema_is_strict():
    ok = {"source": "cron", "alerts": [{"labels": {"alertname": "X"}, "startsAt": "2026-11-27T12:00:00Z"}]}
    for bad, msg in [({**ok, "foo": 1}, "unknown top-level"), ({**ok, "source": ""}, "source"),
                     ({**ok, "alerts": [{**ok["alerts"][0], "incident_truth": "x"}]}, "unknown fields"),
                     ({**ok, "alerts": [{"labels": {"alertname": "X"}}]}, "startsAt is required")]:
        with pytest.raises(InvalidInput, match=msg):
            parse_generic(json.dumps(bad).encode(), LIM, sha256_hex)


def test_fingerprint_hasher_is_injected_and_order_free():
    seen = []

    def hasher(data: bytes) -> str:
        seen.append(data)
        return "f" * 64

    assert fingerprint_of({"b": "2", "a": "1"}, frozenset(), hasher) == "f" * 16
    assert fingerprint_of({"a": "1", "b": "2"}, frozenset()) == fingerprint_of({"b": "2", "a": "1"}, frozenset())
    assert seen and seen[0].index(b"a") < seen[0].index(b"b")
