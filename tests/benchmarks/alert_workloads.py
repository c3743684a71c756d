"""The alert workloads bench_alerts sends: steady re-sends and a storm's onset, as webhook bodies."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

from engine.alerts.fingerprint import fingerprint_of


def make_batches(n: int, seed: int = 1) -> list[list[dict]]:
    """Return n batches of 100 alerts: one service group each, ~5% flipping status per batch."""
    rng = random.Random(seed)
    base = datetime(2026, 11, 27, tzinfo=timezone.utc)
    state: dict[tuple[int, int], tuple[str, datetime]] = {}
    out = []
    for b in range(n):
        svc = rng.randrange(100)
        t = base + timedelta(seconds=b)
        alerts = []
        for i in range(100):
            status, start = state.get((svc, i), ("firing", t))
            if rng.random() < 0.05:
                status, start = ("resolved", start) if status == "firing" else ("firing", t)
            state[(svc, i)] = (status, start)
            alerts.append({"labels": {"alertname": f"Alert{i % 7}", "service": f"svc-{svc}",
                                      "instance": f"svc-{svc}-{i}:9100", "severity": "warning"},
                           "annotations": {"summary": f"alert {i} on svc-{svc}"},
                           "startsAt": start.isoformat().replace("+00:00", "Z"),
                           "endsAt": (t.isoformat().replace("+00:00", "Z") if status == "resolved"
                                      else "0001-01-01T00:00:00Z"),
                           "generatorURL": "http://prometheus:9090/graph", "status": status})
        out.append(alerts)
    return out


def make_storm_batches(n: int, seed: int = 1) -> list[list[dict]]:
    """Return n batches of 100 alerts never seen before: ten bodies per service, new instances."""
    rng = random.Random(seed)
    base = datetime(2026, 11, 27, tzinfo=timezone.utc)
    out = []
    for b in range(n):
        svc = f"storm-{b // 10}"
        t = (base + timedelta(seconds=b // 50)).isoformat().replace("+00:00", "Z")
        out.append([{"labels": {"alertname": f"Alert{rng.randrange(7)}", "service": svc,
                                "instance": f"{svc}-{b}-{i}:9100", "severity": "warning"},
                     "annotations": {"summary": f"alert {i} of body {b} on {svc}"},
                     "startsAt": t, "endsAt": "0001-01-01T00:00:00Z",
                     "generatorURL": "http://prometheus:9090/graph", "status": "firing"} for i in range(100)])
    return out


def webhook_body(alerts: list[dict]) -> bytes:
    """Wrap alerts as an Alertmanager v4 webhook body."""
    svc = alerts[0]["labels"]["service"]
    # Alertmanager puts each alert's fingerprint in the webhook; so does this body.
    alerts = [dict(a, fingerprint=fingerprint_of(a["labels"], frozenset())) for a in alerts]
    return json.dumps({"receiver": "opsbot", "status": "firing", "alerts": alerts, "version": "4",
                       "groupLabels": {"service": svc}, "commonLabels": {}, "commonAnnotations": {},
                       "externalURL": "http://am:9093", "groupKey": f'{{}}:{{service="{svc}"}}',
                       "truncatedAlerts": 0}).encode()


def am_body(alerts: list[dict]) -> bytes:
    """Return the same alerts as Alertmanager's POST /api/v2/alerts expects them."""
    return json.dumps([{k: v for k, v in a.items() if k != "status" and not (k == "endsAt" and
                        v.startswith("0001"))} for a in alerts]).encode()
