"""Stream formats `opsbot eval grouping` reads: envelopes, bodies, bare alerts, alert arrays."""

from __future__ import annotations

import json

import pytest

from engine.lab.alerts.evaluate import _strip_truth
from engine.alerts.streamio import read_stream
from engine.errors import InvalidInput

ZERO = "0001-01-01T00:00:00Z"


def _alert(name, start="2026-11-27T10:00:00Z", status="firing", end=ZERO, **extra):
    return {"labels": {"alertname": name}, "annotations": {}, "status": status, "startsAt": start,
            "endsAt": end, **extra}


def _lines(*recs):
    return [json.dumps(r) for r in recs]


def test_envelopes_keep_their_order_and_get_their_line():
    _, rows = read_stream(_lines({"at": "2026-11-27T10:00:05Z", "source": "generic", "body": {"alerts": []}},
                                 {"at": "2026-11-27T10:00:00Z", "source": "generic", "body": {"alerts": []}}))
    assert [r["at"][:19] for r in rows] == ["2026-11-27T10:00:05", "2026-11-27T10:00:00"]
    assert [r["line"] for r in rows] == [1, 2]


def test_bare_webhook_bodies_become_deliveries():
    _, rows = read_stream(_lines({"version": "4", "alerts": [], "at": 1796032800},
                                 {"source": "cron", "alerts": []}))
    assert rows[0]["source"] == "alertmanager" and rows[0]["at"].startswith("2026-")
    assert rows[1]["source"] == "generic" and rows[1]["at"] is None


def test_bare_alerts_are_timed_sorted_and_packed_by_delivery_time():
    _, rows = read_stream(_lines(
        _alert("B", start="2026-11-27T10:01:00Z"),
        _alert("A", status="resolved", start="2026-11-27T09:00:00Z", end="2026-11-27T10:00:30Z"),
        _alert("C", receivedAt="2026-11-27T10:00:30Z"),
        _alert("D", start="2026-11-27T10:01:00Z", fingerprint="d1")))
    assert [r["at"][:19] for r in rows] == ["2026-11-27T10:00:30", "2026-11-27T10:01:00"]
    assert [[a["labels"]["alertname"] for a in r["body"]["alerts"]] for r in rows] == [["A", "C"], ["B", "D"]]
    assert all(r["source"] == "generic" and r["body"]["source"] for r in rows)
    assert "receivedAt" not in rows[0]["body"]["alerts"][1]
    assert rows[1]["body"]["alerts"][1]["fingerprint"] == "d1"


def test_arrays_of_alerts_and_epoch_times():
    _, rows = read_stream([json.dumps([_alert("A", timestamp=1796032800), _alert("B", timestamp=1796032800000)])])
    assert len(rows) == 1 and len(rows[0]["body"]["alerts"]) == 2


def test_postable_alert_without_status_resolves_once_its_end_passed():
    _, rows = read_stream(_lines({"labels": {"alertname": "A"}, "startsAt": "2026-11-27T09:00:00Z",
                                  "endsAt": "2026-11-27T09:30:00Z", "at": "2026-11-27T10:00:00Z"}))
    assert rows[0]["body"]["alerts"][0]["status"] == "resolved"


@pytest.mark.parametrize("where", ["alert", "labels", "annotations"])
def test_truth_is_stripped_wherever_it_is(where):
    a = _alert("A")
    (a if where == "alert" else a[where])["incident_truth"] = "t1"
    _, rows = read_stream(_lines(a))
    raw, alerts = _strip_truth(rows[0]["body"])
    assert b"incident_truth" not in raw and alerts[0][1] == "t1"


@pytest.mark.parametrize("line, words", [
    ("not json", "line 2 is not JSON"),
    ('{"hello": 1}', "line 2 is neither"),
    ('[{"labels": {"alertname": "A"}}, 3]', "line 2: a JSON array must hold alerts"),
    ('{"labels": {"alertname": "A"}, "startsAt": "2026-11-27T10:00:00Z", "bogus": 1}', "line 2: alert has unknown"),
    ('{"labels": {"alertname": "A"}, "status": "resolved", "startsAt": "2026-11-27T10:00:00Z"}', "line 2: a resolved"),
    ('{"labels": {"alertname": "A"}, "status": "pending", "startsAt": "2026-11-27T10:00:00Z"}', "line 2: status"),
    ('{"labels": {"alertname": "A"}, "at": "yesterday"}', "line 2: delivery time"),
    ('"a string"', "line 2 must be"),
])
def test_anything_else_is_refused_naming_the_line(line, words):
    with pytest.raises(InvalidInput) as err:
        read_stream(['{"kind": "storm"}', line])
    assert words in str(err.value)
