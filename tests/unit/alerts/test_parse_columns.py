"""The door holds webhook values to the widths of the columns they land in, and refuses U+0000."""

from __future__ import annotations

import json

import pytest

from engine.alerts.config import Limits
from engine.alerts.fingerprint import sha256_hex
from engine.alerts.parse import column_problem, parse_alertmanager, parse_generic
from engine.errors import InvalidInput


def _am(labels, annotations=None, **top):
    doc = {"version": "4", "receiver": "r", "groupKey": "g", "groupLabels": {}, **top,
           "alerts": [{"status": "firing", "labels": labels, "annotations": annotations or {},
                       "startsAt": "2026-12-01T10:00:00Z"}]}
    return json.dumps(doc).encode()


@pytest.mark.parametrize("body, field", [
    (_am({"alertname": "a" * 201}), "alerts[0].labels.alertname is 201 characters"),
    (_am({"alertname": "a\x00"}), "alerts[0].labels.alertname contains a NUL"),
    (_am({"alertname": "a", "k\x00": "v"}), "alerts[0].labels key"),
    (_am({"alertname": "a"}, {"d": "\x00"}), "alerts[0].annotations.d contains"),
    (_am({"alertname": "a"}, receiver="\x00"), "receiver contains"),
])
def test_alertmanager_body_is_refused_naming_the_field(body, field):
    with pytest.raises(InvalidInput) as err:
        parse_alertmanager(body, Limits(), sha256_hex)
    assert field in err.value.message


def test_generic_source_with_nul_is_refused():
    body = json.dumps({"source": "x\x00", "alerts": [{"labels": {"alertname": "a"},
                                                      "startsAt": "2026-12-01T10:00:00Z"}]}).encode()
    with pytest.raises(InvalidInput, match="source contains a NUL"):
        parse_generic(body, Limits(), sha256_hex)


def test_an_escaped_backslash_before_u0000_is_text_not_nul():
    batch = parse_alertmanager(_am({"alertname": "a\\u0000"}), Limits(), sha256_hex)
    assert batch.alerts[0].labels["alertname"] == "a\\u0000"


def test_severity_wider_than_its_column_is_named():
    batch = parse_alertmanager(_am({"alertname": "a", "sev": "x" * 33}), Limits(), sha256_hex)
    assert column_problem(batch, "sev") == "alerts[0].labels.sev is 33 characters, limit is 32"
    assert column_problem(batch, "severity") is None
