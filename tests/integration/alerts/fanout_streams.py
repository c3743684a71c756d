"""A fourth generator: shared-infra fan-outs. Written as a held-out check; since issue #5 a design
style (seeds 1-10 and 101-130), with seeds 11-40 and 41-70 quoted as held out.

Shaped apart from storm, burst_streams and mesh_streams: alerts carry a `service` label and a
`namespace` in one of two clusters. A shared service (dns, vault, a database in namespace
`infra` or `kube-system`) fails and its dependents in several team namespaces alert after a
`for:`-like lag of 20-200 s, then a local service or two in each of them; meanwhile local
incidents start in the team namespaces on their own, often minutes from a fan-out. Severity is
error/warning or critical/info, following the role only in some streams. Deliveries are
Alertmanager webhook bodies grouped by (cluster, alertname), truth in the alert.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

BASE = datetime(2026, 11, 29, 9, tzinfo=timezone.utc)
ZERO = "0001-01-01T00:00:00Z"
TEAMS = ["orders", "search", "profile", "payments", "notify", "reports", "feed"]
SHARED = [("infra", "postgres-main"), ("infra", "vault"), ("kube-system", "coredns"), ("infra", "kafka")]
LOCAL = ["api", "worker", "web", "scheduler", "indexer"]


def fanout_alerts(seed: int, fanouts: int = 4, local: int = 8, duration_s: float = 4 * 3600.0
                  ) -> list[tuple[float, float, dict[str, str], str]]:
    """Return (start, end, labels, truth) of every alert of a stream."""
    rng = random.Random(seed * 104729 + 11)
    clusters = rng.sample(["prod-1", "prod-2"], rng.randint(1, 2))
    high, low = rng.choice([("error", "warning"), ("critical", "info")])
    by_role = rng.random() < 0.5
    out: list[tuple[float, float, dict[str, str], str]] = []
    busy: dict[tuple[str, str], float] = {}

    def fire(cluster: str, ns: str, svc: str, name: str, t: float, dur: float, sev: str, truth: str) -> bool:
        if busy.get((cluster, svc), -1e9) > t:
            return False
        busy[(cluster, svc)] = t + dur + 2400
        for k in range(rng.randint(2, 5)):
            s = t + rng.uniform(0, 20)
            out.append((s, s + dur * rng.uniform(0.9, 1.0), {
                "alertname": name, "service": svc, "namespace": ns, "cluster": cluster,
                "instance": f"10.0.{rng.randrange(256)}.{k}:9100",
                "severity": sev if by_role else rng.choice([high, low])}, truth))
        return True

    for f in range(fanouts):
        truth, cluster, t0 = f"fan-{f}", rng.choice(clusters), rng.uniform(0, duration_s * 0.8)
        ns, svc = rng.choice(SHARED)
        dur = rng.uniform(1200, 3600)
        if not fire(cluster, ns, svc, "ServiceDown", t0, dur, high, truth):
            continue
        for team in rng.sample(TEAMS, rng.randint(2, 4)):
            td = t0 + rng.uniform(20, 200)
            first = f"{team}-{rng.choice(LOCAL)}"
            if fire(cluster, team, first, "UpstreamErrors", td, dur - (td - t0), low, truth):
                for other in rng.sample([s for s in LOCAL if s not in first], rng.randint(0, 2)):
                    te = td + rng.uniform(30, 240)
                    fire(cluster, team, f"{team}-{other}", "LatencySLOBurn", te, dur - (te - t0), low, truth)
    for n in range(local):
        truth, cluster, t0 = f"local-{n}", rng.choice(clusters), rng.uniform(0, duration_s * 0.9)
        team, dur = rng.choice(TEAMS), rng.uniform(600, 2400)
        svcs = rng.sample(LOCAL, rng.randint(1, 3))
        if fire(cluster, team, f"{team}-{svcs[0]}", "PodRestarting", t0, dur, high, truth):
            for other in svcs[1:]:
                te = t0 + rng.uniform(20, 150)
                fire(cluster, team, f"{team}-{other}", "ErrorRateHigh", te, dur - (te - t0), low, truth)
    return out


def _iso(t: float) -> str:
    return (BASE + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")


def fanout_deliveries(seed: int, interval_s: float = 30.0, **kw: Any) -> list[dict[str, Any]]:
    """Return Alertmanager-like deliveries (at, source, body) in time order."""
    occs = fanout_alerts(seed, **kw)
    changes = sorted([(s, "firing", s, e, lab, tr) for s, e, lab, tr in occs]
                     + [(e, "resolved", s, e, lab, tr) for s, e, lab, tr in occs], key=lambda c: c[0])
    out, j, tick = [], 0, 0.0
    while j < len(changes):
        tick += interval_s
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        while j < len(changes) and changes[j][0] <= tick:
            _, st, s, e, lab, tr = changes[j]
            groups.setdefault((lab["cluster"], lab["alertname"]), []).append({
                "status": st, "labels": lab, "annotations": {}, "startsAt": _iso(s),
                "endsAt": _iso(e) if st == "resolved" else ZERO, "incident_truth": tr})
            j += 1
        for (cluster, name), alerts in groups.items():
            body = {"version": "4", "receiver": "ops", "alerts": alerts,
                    "status": "firing" if any(a["status"] == "firing" for a in alerts) else "resolved",
                    "groupLabels": {"cluster": cluster, "alertname": name}, "commonLabels": {},
                    "groupKey": f'{{}}:{{alertname="{name}", cluster="{cluster}"}}', "truncatedAlerts": 0}
            out.append({"at": _iso(tick), "source": "alertmanager", "body": body})
    return out
