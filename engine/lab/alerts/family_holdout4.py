"""The fourth held-out storm style: written before the onset and graph-apart work of issue #20, scored once at the end.

Managed platform ("managed-platform"): services run as tasks of a managed container platform in
one region, one task per availability zone (1-3 zones), and alerts come from the platform's alarms:
`service`, `team`, `region`, `zone`, `task` and `platform`; no `namespace`, `cluster`, `node`,
`host` or `instance`. The whole call graph is declared (a tracing service map). Four kinds of trouble:

* a service cascade (as in the training styles), its alerts on the failing service's tasks;
* a zone impairment: the provider's health alert about the zone (`PlatformZoneDegraded`, no
  service), then 40-100% of the services with a task in that zone alert on that task 30-180 s
  later, each with its callers cascading. Only the `zone` label ties them;
* two independent roots (neither next to nor upstream of the other) failing 0-90 s apart, whose
  cascades reach one shared downstream victim. The on-call runs this as one incident: one
  customer-facing impact, one victim whose alerts belong to both causes;
* release trains: 3-8 unrelated services roll out within 90 s of each other and each fires one
  short deploy-time alert (a task restarting, a failing readiness check) for 1-5 minutes. Each is
  its own incident: nothing but the clock ties two services' rollouts together.

Delivery is the platform's, not Alertmanager's: one alert per webhook, each state change delivered
0-120 s late (a per-alert lag plus jitter), so deliveries arrive out of onset order; an HA pair
re-sends some. The knob ranges overlap the training styles'; the zones, the platform labels,
the two-root incidents, the release trains and the late single-alert delivery are new to it.
The fit (family_fit.py) never reads this module.
"""

from __future__ import annotations

import random
from datetime import timedelta

from engine.alerts.fingerprint import fingerprint_of
from engine.alerts.types import AlertEvent, Status
from engine.lab.alerts.family import BASE, FamAlert, Knobs, Storm, _Builder
from engine.lab.alerts.family_wire import Delivery

HOLDOUT4_STYLE = "managed-platform"
ZONE_ALERT = "PlatformZoneDegraded"
DEPLOY_ALERTS = ["TaskRestarting", "ReadinessCheckFailing", "TargetGroupUnhealthy", "DeploymentRolloutSlow"]
MAX_LATE_S = 120.0


class _PlatformBuilder(_Builder):
    """The family's cascade machinery with tasks in zones, zone impairments, two-root incidents, releases."""

    def __init__(self, k: Knobs, rng: random.Random) -> None:
        super().__init__(k, rng)
        self.region = rng.choice(["eu-west-1", "us-east-2", "ap-southeast-1", "eu-central-1"])
        self.zones = [f"{self.region}{z}" for z in "abc"]
        self.where = {s: sorted(rng.sample(self.zones, rng.randint(*k.instances))) for s in self.svcs}
        self.task_id = {(s, z): "".join(rng.choice("0123456789abcdef") for _ in range(12))
                        for s in self.svcs for z in self.zones}

    def labels(self, svc: str, cl: str, name: str, sev: str, i: int) -> dict[str, str]:
        zone = self.where[svc][i % len(self.where[svc])]
        return {"alertname": name, "service": svc, "team": self.ns[svc].replace("team-", "squad-"),
                "region": self.region, "zone": zone, "task": f"{svc}/{self.task_id[(svc, zone)]}",
                "severity": sev, "platform": "ecs"}

    def emit(self, affected: list[tuple[str, float, float]], cl: str, truth: str,
             names: dict[str, list[str]], inst: dict[str, int]) -> None:
        """Add a service cascade's alerts: at most one per task the service has."""
        super().emit(affected, cl, truth, names, {s: min(v, len(self.where[s])) for s, v in inst.items()})

    def _symptoms(self) -> list[str]:
        return self.rng.sample(self.symptoms, min(len(self.symptoms), self.rng.randint(1, 2)))

    def _task_alerts(self, svc: str, t: float, e: float, truth: str, tasks: list[int]) -> None:
        for name in self._symptoms():
            for i in tasks:
                at = t + self.rng.uniform(0, 45)
                a = FamAlert(self.labels(svc, "", name, "warning", i), truth, at, max(at + 90, e + self.rng.uniform(-30, 30)))
                self._flaps(a)
                self.alerts.append(a)

    def zone_incident(self, n: int, t0: float, hit: float) -> bool:
        """Impair one zone at t0: the provider's alert, its tasks' services, their callers' cascades."""
        truth, zone = f"inc-{n}", self.rng.choice(self.zones)
        end = t0 + self.rng.uniform(300, 1800)
        affected: list[tuple[str, float, float]] = []
        idx: dict[str, int] = {}
        for s in self.svcs:
            if zone not in self.where[s] or self.rng.random() > hit:
                continue
            t = t0 + self.rng.uniform(30, 180)
            cascade = self.spread(s, "", t, end - t0, truth)
            if cascade:
                idx[s] = self.where[s].index(zone)
                affected += [x for x in cascade if all(x[0] != a for a, _, _ in affected)]
        if not affected:
            return False
        self.alerts.append(FamAlert({"alertname": ZONE_ALERT, "region": self.region, "zone": zone,
                                     "severity": "critical", "platform": "ecs"}, truth, t0 + self.rng.uniform(0, 20), end))
        for svc, t, e in affected:
            self.busy.setdefault((svc, ""), []).append((t, e, truth))
            self._task_alerts(svc, t, e, truth, [idx[svc]] if svc in idx else list(range(len(self.where[svc]))))
        return True

    def _ancestors(self, svc: str, depth: int = 3) -> set[str]:
        out, frontier = set(), [svc]
        for _ in range(depth):
            frontier = [u for s in frontier for u in self.deps.get(s, []) if u not in out]
            out.update(frontier)
        return out

    def _path(self, root: str, victim: str) -> list[str]:
        """Return the services from root's first caller to victim along callers (shortest), or []."""
        prev: dict[str, str] = {root: root}
        frontier = [root]
        while frontier and victim not in prev:
            frontier = [prev.setdefault(c, s) and c for s in frontier for c in self.callers.get(s, []) if c not in prev]
        if victim not in prev:
            return []
        path = [victim]
        while prev[path[-1]] != root:
            path.append(prev[path[-1]])
        return path[::-1]

    def _cascade_to(self, root: str, victim: str, t0: float, dur: float, truth: str) -> list[tuple[str, float, float]]:
        """Return root's cascade, reaching victim along the shortest caller path (the failure that hurts it)."""
        out = self.spread(root, "", t0, dur, truth)
        if not out:
            return []
        have = {s: (t, e) for s, t, e in out}
        t = t0
        for s in self._path(root, victim):
            if s in have:
                t = have[s][0]
                continue
            t += self.rng.uniform(*self.k.hop_lag)
            e = t0 + dur + self.rng.uniform(0, 90)
            if not self.free(s, "", t, e, truth):
                return []
            have[s] = (t, e)
            out.append((s, t, e))
        return out

    def two_root_incident(self, n: int, t0: float) -> bool:
        """Fail two independent roots 0-90 s apart whose cascades share a downstream victim."""
        truth = f"inc-{n}"
        for _ in range(100):  # a tree has no two independent roots above one victim: a plain cascade then
            victim = self.rng.choice(self.svcs)
            ups = sorted(self._ancestors(victim))
            if len(ups) < 2:
                continue
            r1, r2 = self.rng.sample(ups, 2)
            if r2 in self.near[r1] or r1 in self._ancestors(r2, 6) or r2 in self._ancestors(r1, 6):
                continue
            dur = self.rng.uniform(300, 2400)
            a = self._cascade_to(r1, victim, t0, dur, truth)
            b = self._cascade_to(r2, victim, t0 + self.rng.uniform(0, 90), dur, truth) if a else []
            if a and b:
                break
        else:
            return False
        merged: dict[str, tuple[float, float]] = {}
        for s, t, e in a + b:
            was = merged.get(s)
            merged[s] = (min(t, was[0]), max(e, was[1])) if was else (t, e)
        affected = [(s, t, e) for s, (t, e) in merged.items()]
        names = {s: (self.rng.sample(ROOT_NAMES_PLATFORM, 1) if s in (r1, r2) else self._symptoms()) for s in merged}
        inst = {s: self.rng.randint(*self.k.instances) for s in merged}
        self.emit(affected, "", truth, names, inst)
        return True

    def release_train(self, j: int, t0: float) -> None:
        """Roll out 3-8 unrelated services within 90 s: each fires one short deploy-time alert."""
        for m, svc in enumerate(self.rng.sample(self.svcs, min(len(self.svcs), self.rng.randint(3, 8)))):
            t = t0 + self.rng.uniform(0, 90)
            e = t + self.rng.uniform(60, 300)
            truth = f"deploy-{j}-{m}"
            if not self.free(svc, "", t, e, truth):
                continue
            self.busy.setdefault((svc, ""), []).append((t, e, truth))
            self.alerts.append(FamAlert(self.labels(svc, "", self.rng.choice(DEPLOY_ALERTS), "warning",
                                                    self.rng.randrange(len(self.where[svc]))), truth, t, e))


ROOT_NAMES_PLATFORM = ["DatabaseDown", "CacheDown", "BrokerUnavailable", "DNSFailures", "CertificateExpired",
                       "TaskOOMKilled", "ManagedDBFailover", "QueueThrottled"]


def holdout4_knobs(seed: int) -> tuple[Knobs, float, float, float, int]:
    """Draw the style's knobs: the family's, zone-impairment share, share of a zone's services hit, two-root share, release trains."""
    r = random.Random(f"knobs:{HOLDOUT4_STYLE}:{seed}")
    k = Knobs(services=r.randint(15, 40), shape=r.choice(["layered", "hub", "mesh", "tree"]), namespaces=r.randint(2, 5),
              clusters=1, hop_lag=(r.uniform(30, 60), r.uniform(90, 150)), incidents=r.randint(8, 14),
              duration_s=r.uniform(7200, 10800), concurrency=r.uniform(0.2, 0.5), recurrence=r.uniform(0.1, 0.3),
              flap=r.uniform(0.05, 0.2), dup=r.uniform(0.1, 0.4), noise=r.uniform(0.3, 1.0),
              label_reuse=r.uniform(0.3, 0.8), spread=r.uniform(0.4, 0.7), instances=(1, 3))
    return k, r.uniform(0.15, 0.3), r.uniform(0.4, 1.0), r.uniform(0.15, 0.3), r.randint(2, 4)


def holdout4_storm(seed: int) -> Storm:
    """Generate one storm of the fourth held-out style (its depends_on is the whole call graph)."""
    k, zone_share, hit, two_root_share, trains = holdout4_knobs(seed)
    rng = random.Random(f"{HOLDOUT4_STYLE}:{seed}")
    b = _PlatformBuilder(k, rng)
    b.clusters = [""]  # no cluster label: one deployment per region
    starts: list[float] = []
    for n in range(k.incidents):
        if starts and rng.random() < k.concurrency:
            t0 = rng.choice(starts) + rng.uniform(0, 240)
        else:
            t0 = rng.uniform(0, k.duration_s * 0.8)
        starts.append(t0)
        x = rng.random()
        if x < zone_share:
            done = b.zone_incident(n, t0, hit)
        elif x < zone_share + two_root_share:
            done = b.two_root_incident(n, t0)
        else:
            done = False
        if not done:
            b.incident(n, t0)
    for j in range(trains):
        b.release_train(j, rng.uniform(0, k.duration_s * 0.9))
    b.noise(round(k.noise * k.incidents))
    return Storm(HOLDOUT4_STYLE, seed, k, b.alerts, dict(b.deps))


def late_deliveries(storm: Storm) -> list[Delivery]:
    """Return one-alert webhook deliveries, each state change 0-120 s late and so out of onset order."""
    rng = random.Random(f"deliver:{storm.style}:{storm.seed}")
    out: list[Delivery] = []
    for a in storm.alerts:
        fp = fingerprint_of(a.labels, frozenset())
        lag = rng.uniform(0, MAX_LATE_S * 0.75)
        changes, start = [("firing", a.start, a.start)], a.start
        for r, f in a.flaps:
            changes += [("resolved", r, start), ("firing", f, f)]
            start = f
        changes.append(("resolved", a.end, start))
        prev = -1.0
        for st, t, occ in changes:
            # Per-alert lag plus jitter, at most 120 s; a change never overtakes the alert's previous one.
            at = max(prev + 1.0, t + min(MAX_LATE_S, lag + rng.uniform(0, MAX_LATE_S * 0.25)))
            prev = at
            ev = AlertEvent(fp, Status(st), a.labels, {"summary": f"{a.labels['alertname']} on "
                                                                  f"{a.labels.get('service') or a.labels['zone']}"},
                            BASE + timedelta(seconds=occ), BASE + timedelta(seconds=t) if st == "resolved" else None,
                            "platform", f"platform:{fp}", "", frozenset())
            out.append((at, (ev,)))
            if rng.random() < storm.knobs.dup:
                out.append((at + rng.uniform(0.1, 5.0), (ev,)))
    out.sort(key=lambda d: d[0])
    return out
