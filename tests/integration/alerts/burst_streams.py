"""A second storm generator, shaped unlike engine.lab.alerts.storm: bare alerts, no service graph.

Independent incidents are bursts of 3-30 alerts over a few labels (job, namespace, cluster,
no `service` label), overlapping in time, with duplicate deliveries, flaps and truth written
in three places (alert field, label, annotation), as JSONL of bare alerts and alert arrays.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from typing import Any

ZERO = "0001-01-01T00:00:00Z"
ALERTNAMES = ["KubePodNotReady", "TargetDown", "HighRequestLatency", "Http5xxRatio", "JobFailed",
              "ContainerOOMKilled", "PVCAlmostFull", "KafkaConsumerLag"]
BASE = datetime(2026, 11, 27, 8, tzinfo=timezone.utc)


def _iso(t: float) -> str:
    return (BASE + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")


def burst_alerts(seed: int, incidents: int = 12, duration_s: float = 3 * 3600.0, dup_prob: float = 0.3,
                 flap_prob: float = 0.2, spread_s: float = 150.0) -> list[dict[str, Any]]:
    """Return delivery events (time, alert dict) of a labelled burst stream, in generation order."""
    rng = random.Random(seed)
    clusters, namespaces = ["eu-1", "us-1"], ["payments", "search", "data", "edge"]
    jobs = [f"job-{i}" for i in range(10)]
    events: list[tuple[float, dict[str, Any]]] = []
    for k in range(incidents):
        truth = f"inc-{k}"
        t0 = rng.uniform(0, duration_s * 0.9)
        cluster, ns = rng.choice(clusters), rng.choice(namespaces)
        inc_jobs = rng.sample(jobs, rng.randint(1, 3))
        names = rng.sample(ALERTNAMES, rng.randint(1, 3))
        dur = rng.uniform(600, 2400)
        for a in range(rng.randint(3, 30)):
            labels = {"alertname": rng.choice(names), "job": rng.choice(inc_jobs), "namespace": ns,
                      "cluster": cluster, "severity": rng.choice(["warning", "critical"]),
                      "pod": f"{ns}-{k}-{a}-{rng.randrange(16**5):05x}"}
            start = t0 + rng.uniform(0, spread_s)
            end = start + dur * rng.uniform(0.7, 1.1)
            spans = [(start, end)]
            if rng.random() < flap_prob and end - start > 500:
                r = rng.uniform(start + 60, end - 300)
                spans = [(start, r), (r + rng.uniform(30, 150), end)]
            for s, e in spans:
                for t, status in ((s, "firing"), (e, "resolved")):
                    alert = {"labels": dict(labels), "annotations": {"summary": labels["alertname"]},
                             "status": status, "startsAt": _iso(s), "endsAt": _iso(e) if status == "resolved" else ZERO}
                    where = rng.random()
                    if where < 0.6:
                        alert["incident_truth"] = truth
                    elif where < 0.8:
                        alert["labels"]["incident_truth"] = truth
                    else:
                        alert["annotations"]["incident_truth"] = truth
                    events.append((t, alert))
                    if rng.random() < dup_prob:  # a retry or an HA twin, a little later
                        events.append((t + rng.uniform(1, 30), json.loads(json.dumps(alert))))
    return [dict(alert, receivedAt=_iso(t)) if rng.random() < 0.5 else dict(alert) | {"_t": t}
            for t, alert in events]


def burst_lines(seed: int, **kw: Any) -> list[str]:
    """Return the stream as JSONL: some lines a bare alert, some an array of simultaneous ones."""
    rng = random.Random(seed + 7)
    rows = burst_alerts(seed, **kw)
    rows.sort(key=lambda a: a.get("receivedAt") or _iso(a["_t"]))
    lines: list[str] = []
    i = 0
    while i < len(rows):
        n = rng.randint(1, 4)
        chunk = [{k: v for k, v in a.items() if k != "_t"} for a in rows[i:i + n]]
        lines.append(json.dumps(chunk if len(chunk) > 1 else chunk[0]))
        i += n
    return lines
