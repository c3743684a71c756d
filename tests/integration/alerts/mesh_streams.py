"""A third storm generator, for generalization: Kubernetes-style apps, no `service` label, no graph given.

Designed apart from engine.lab.alerts.storm and burst_streams: alerts name an `app` in a `namespace`
of one of several clusters; apps depend on apps of their namespace and on a shared platform
namespace, so a platform cascade crosses namespaces. Hops are faster (10-150 s), the severity
vocabulary is drawn per stream (critical/warning, page/ticket, P1/P3) and follows the role
(origin high, symptoms low) only in some streams; noise, flaps and HA duplicates are frequent.
Deliveries are Alertmanager webhook bodies grouped by (namespace, alertname), truth in the alert.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

BASE = datetime(2026, 11, 28, 2, tzinfo=timezone.utc)
ZERO = "0001-01-01T00:00:00Z"
NAMESPACES = ["checkout", "catalog", "identity", "billing", "media", "ads"]
WORDS = ["api", "worker", "gateway", "indexer", "sync", "auth", "render", "cron"]
ORIGIN = ["KubeDeploymentReplicasMismatch", "ContainerOOMKilled", "PostgresDown", "RedisDown", "NodeNotReady"]
SYMPTOM = ["HttpErrorBudgetBurn", "GrpcLatencyP99High", "KubePodCrashLooping", "QueueDepthGrowing"]
NOISE = ["CronJobSkipped", "CertRenewalDue", "PVCUsageHigh", "ImagePullBackOff"]
SEVERITIES = [("critical", "warning"), ("page", "ticket"), ("P1", "P3")]


@dataclass
class _Occ:
    labels: dict[str, str]
    truth: str
    start: float
    end: float


def _topology(rng: random.Random) -> tuple[list[str], dict[str, list[str]], dict[str, str]]:
    """Return apps, app -> apps it depends on, and app -> namespace."""
    spaces = rng.sample(NAMESPACES, rng.randint(3, 5))
    ns_of: dict[str, str] = {}
    deps: dict[str, list[str]] = {}
    platform = [f"platform-{w}" for w in rng.sample(WORDS, 3)]
    for a in platform:
        ns_of[a], deps[a] = "platform", []
    for ns in spaces:
        apps = [f"{ns[:4]}-{w}" for w in rng.sample(WORDS, rng.randint(3, 6))]
        for i, a in enumerate(apps):
            ns_of[a] = ns
            ups = set(rng.sample(apps[:i], min(i, rng.randint(1, 2)))) if i else set()
            if rng.random() < 0.35:
                ups.add(rng.choice(platform))
            deps[a] = sorted(ups)
    return list(ns_of), deps, ns_of


def mesh_alerts(seed: int, cascades: int = 9, noise: int = 5, duration_s: float = 5 * 3600.0) -> list[_Occ]:
    """Return every alert occurrence of a stream with its truth label."""
    rng = random.Random(seed * 7919 + 3)
    apps, deps, ns_of = _topology(rng)
    clusters = rng.sample(["gke-a", "gke-b", "aks-west"], rng.randint(1, 3))
    high, low = rng.choice(SEVERITIES)
    by_role = rng.random() < 0.5
    dependents: dict[str, list[str]] = {}
    for a, ups in deps.items():
        for u in ups:
            dependents.setdefault(u, []).append(a)
    busy: dict[tuple[str, str], float] = {}  # (cluster, app) -> free again at
    out: list[_Occ] = []

    def fire(app: str, cluster: str, names: list[str], truth: str, t: float, dur: float, sev: str) -> bool:
        if busy.get((cluster, app), -1e9) > t:
            return False
        busy[(cluster, app)] = t + dur * 1.2 + 2700  # past the cool-down and reopen window
        for name in names:
            for _ in range(rng.randint(3, 8)):
                pod = f"{app}-{rng.randrange(16**6):06x}-{rng.randrange(36**5):05x}"
                labels = {"alertname": name, "app": app, "namespace": ns_of[app], "cluster": cluster,
                          "pod": pod, "container": app.split("-")[-1],
                          "severity": sev if by_role else rng.choice([high, low])}
                s = t + rng.uniform(0, 30)
                out.append(_Occ(labels, truth, s, s + dur * rng.uniform(0.85, 1.05)))
        return True

    for c in range(cascades):
        truth, t0, dur = f"mesh-{c}", rng.uniform(0, duration_s * 0.85), rng.uniform(900, 3000)
        cluster, root = rng.choice(clusters), rng.choice(apps)
        if not fire(root, cluster, rng.sample(ORIGIN, rng.randint(1, 2)), truth, t0, dur, high):
            continue
        frontier = [(root, t0)]
        while frontier:
            app, t = frontier.pop(0)
            for d in dependents.get(app, []):
                if rng.random() < 0.6:
                    td = t + rng.uniform(10, 150)
                    if fire(d, cluster, rng.sample(SYMPTOM, rng.randint(1, 2)), truth, td,
                            max(600.0, dur - (td - t0)), low):
                        frontier.append((d, td))
    for n in range(noise):
        t = rng.uniform(0, duration_s * 0.95)
        fire(rng.choice(apps), rng.choice(clusters), [rng.choice(NOISE)], f"noise-{n}", t,
             rng.uniform(300, 1800), low)
    return out


def _iso(t: float) -> str:
    return (BASE + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def mesh_deliveries(seed: int, flap_prob: float = 0.15, dup_prob: float = 0.4, interval_s: float = 15.0,
                    **kw: Any) -> list[dict[str, Any]]:
    """Return Alertmanager-like deliveries (at, source, body) in time order."""
    rng = random.Random(seed * 31 + 1)
    occs = mesh_alerts(seed, **kw)
    changes: list[tuple[float, str, float, int]] = []  # (time, status, occurrence start, index)
    for i, o in enumerate(occs):
        spans = [(o.start, o.end)]
        if rng.random() < flap_prob and o.end - o.start > 600:
            r = rng.uniform(o.start + 60, o.end - 400)
            spans = [(o.start, r), (r + rng.uniform(20, 120), o.end)]
        for s, e in spans:
            changes += [(s, "firing", s, i), (e, "resolved", s, i)]
    changes.sort()
    out: list[tuple[float, dict[str, Any]]] = []
    j, tick = 0, 0.0
    while j < len(changes):
        tick += interval_s
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        while j < len(changes) and changes[j][0] <= tick:
            t, st, s, i = changes[j]
            o = occs[i]
            groups.setdefault((o.labels["namespace"], o.labels["alertname"]), []).append({
                "status": st, "labels": o.labels, "annotations": {"description": f"{o.labels['alertname']} "
                f"in {o.labels['namespace']}"}, "startsAt": _iso(s), "endsAt": _iso(t) if st == "resolved" else ZERO,
                "generatorURL": "http://thanos-query/graph", "incident_truth": o.truth})
            j += 1
        for (ns, name), alerts in groups.items():
            body = {"version": "4", "receiver": "chatops", "status": "firing" if any(
                    a["status"] == "firing" for a in alerts) else "resolved", "alerts": alerts,
                    "groupLabels": {"namespace": ns, "alertname": name}, "commonLabels": {"namespace": ns},
                    "commonAnnotations": {}, "externalURL": "http://alertmanager-0:9093",
                    "groupKey": f'{{}}/{{severity=~".+"}}:{{alertname="{name}", namespace="{ns}"}}',
                    "truncatedAlerts": 0}
            out.append((tick, {"at": _iso(tick), "source": "alertmanager", "body": body}))
            if rng.random() < dup_prob:  # the HA peer's copy, a few seconds later
                twin = json.loads(json.dumps(body))
                twin["externalURL"] = "http://alertmanager-1:9093"
                later = tick + rng.uniform(0.5, 8.0)
                out.append((later, {"at": _iso(later), "source": "alertmanager", "body": twin}))
    out.sort(key=lambda x: x[0])
    return [d for _, d in out]


def mesh_lines(seed: int, **kw: Any) -> list[str]:
    """Return the stream as JSONL of bare webhook bodies, each with its `receivedAt` time."""
    return [json.dumps({**d["body"], "receivedAt": d["at"]}) for d in mesh_deliveries(seed, **kw)]
