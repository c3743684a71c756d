"""Training style "zoned": shared machines in failure domains (zones or racks), and domain-wide failures.

The shared-hosts machinery (family_hosts.py: instances on 4-14 shared machines, Kubernetes or
agent labels, machine failures, a partial declared graph) with every machine in one of 2-4 failure
domains. Per storm the domain is named the way one kind of deployment names it: a zone on
Kubernetes (`topology_kubernetes_io_zone` or `failure_domain_beta_kubernetes_io_zone`, copied from
the node's labels), a zone from an agent (`zone` or `availability_zone`), or, in a quarter of the
storms, a `rack` (on premises). Every alert of a workload or machine carries its machine's domain.
15-30% of incidents are a domain failure: in 70% of them an alert about the domain itself (no
service, no machine), then 40-100% of the services with an instance in the domain alert on that
instance 20-180 s later, each with its callers cascading (only the domain ties them; callers'
instances alert wherever they run). 10-25% are a machine failure as in shared-hosts. Domain alerts
also fire alone (noise). Used by the fit like the other training styles (family_train.TRAIN_STYLES).
"""

from __future__ import annotations

import random

from engine.lab.alerts.family import FamAlert, Knobs, Storm, _u
from engine.lab.alerts.family_hosts import _HostsBuilder

STYLE = "zoned"
ZONE_NAMING = (("topology_kubernetes_io_zone", True), ("failure_domain_beta_kubernetes_io_zone", True),
               ("zone", False), ("availability_zone", False))
DOMAIN_ALERTS = {"zone": ["ZoneNetworkPartition", "CloudZoneOutage", "ZoneStorageLatencyHigh"],
                 "rack": ["RackUplinkDown", "RackPowerFeedLost", "RackCoolingFault"]}


class _ZonedBuilder(_HostsBuilder):
    """Shared machines placed in failure domains, and failures of a whole domain."""

    def __init__(self, k: Knobs, rng: random.Random, machines: int, k8s: bool, label: str, domains: list[str]) -> None:
        super().__init__(k, rng, machines, k8s)
        self.label, self.domains = label, domains
        self.domain_of = {m: domains[i % len(domains)] if i < len(domains) else rng.choice(domains)
                          for i, m in enumerate(self.machines)}

    def labels(self, svc: str, cl: str, name: str, sev: str, i: int) -> dict[str, str]:
        out = super().labels(svc, cl, name, sev, i)
        out[self.label] = self.domain_of[self.where[svc][i % len(self.where[svc])]]
        return out

    def machine_alert(self, m: str, cl: str, truth: str, t: float, end: float, name: str) -> None:
        """Add one alert about machine m, with its domain."""
        super().machine_alert(m, cl, truth, t, end, name)
        self.alerts[-1].labels[self.label] = self.domain_of[m]

    def domain_alert(self, d: str, cl: str, truth: str, t: float, end: float) -> None:
        """Add one alert about domain d itself (no service, no machine)."""
        kind = "rack" if self.label == "rack" else "zone"
        self.alerts.append(FamAlert({"alertname": self.rng.choice(DOMAIN_ALERTS[kind]), self.label: d, "cluster": cl,
                                     "severity": "critical"}, truth, t, end))

    def domain_incident(self, n: int, t0: float, hit: float, announced: bool) -> bool:
        """Fail one domain at t0: maybe its own alert, its instances' services, their callers' cascades."""
        truth, cl, d = f"inc-{n}", self.rng.choice(self.clusters), self.rng.choice(self.domains)
        end = t0 + self.rng.uniform(300, 1800)
        affected: list[tuple[str, float, float]] = []
        idx: dict[str, list[int]] = {}
        for s in self.svcs:
            inside = [i for i, m in enumerate(self.where[s]) if self.domain_of[m] == d]
            if not inside or s in idx or any(s == a for a, _, _ in affected) or self.rng.random() > hit:
                continue
            cascade = self.spread(s, cl, t0 + self.rng.uniform(20, 180), end - t0, truth)
            if cascade:
                idx[s] = inside
                affected += [x for x in cascade if all(x[0] != a for a, _, _ in affected)]
        if not affected:
            return False
        if announced:
            self.domain_alert(d, cl, truth, t0 + self.rng.uniform(0, 30), end)
        for svc, t, e in affected:
            self.busy.setdefault((svc, cl), []).append((t, e, truth))
            for name in self.rng.sample(self.symptoms, min(len(self.symptoms), self.rng.randint(1, 2))):
                for i in idx.get(svc, range(len(self.where[svc]))):
                    at = t + self.rng.uniform(0, 45)
                    a = FamAlert(self.labels(svc, cl, name, "warning", i), truth, at, max(at + 90, e + self.rng.uniform(-30, 30)))
                    self._flaps(a)
                    self.alerts.append(a)
        return True


def zones_storm(seed: int) -> Storm:
    """Generate one storm of the zoned training style (its depends_on is the declared graph)."""
    r = random.Random(f"knobs:{STYLE}:{seed}")
    k = Knobs(r.randint(15, 40), r.choice(["layered", "hub", "tree", "mesh"]), r.randint(2, 5), r.randint(1, 2),
              (30, _u(r, 60, 150)), r.randint(8, 14), duration_s=_u(r, 7200, 10800), concurrency=_u(r, 0.1, 0.4),
              recurrence=_u(r, 0.1, 0.3), flap=_u(r, 0.05, 0.2), dup=_u(r, 0.1, 0.5), noise=_u(r, 0.3, 1.0),
              label_reuse=_u(r, 0.3, 0.8), spread=_u(r, 0.4, 0.7))
    machines, dom_share, mach_share, hit = r.randint(4, 14), _u(r, 0.15, 0.3), _u(r, 0.1, 0.25), _u(r, 0.4, 1.0)
    coverage = 1.0 if r.random() < 1 / 3 else _u(r, 0.4, 0.9)
    if r.random() < 0.25:
        label, k8s = "rack", r.random() < 0.5
        domains = [f"r{r.randint(1, 40):02d}-{j}" for j in range(r.randint(3, 5))]
    else:
        label, k8s = r.choice(ZONE_NAMING)
        region = r.choice(["us-west-2", "europe-west4", "eastus", "ap-northeast-1"])
        domains = [f"{region}-{z}" for z in "abcd"[:r.randint(2, 4)]]
    rng = random.Random(f"{STYLE}:{seed}")
    b = _ZonedBuilder(k, rng, machines, k8s, label, domains)
    starts: list[float] = []
    for n in range(k.incidents):
        t0 = rng.choice(starts) + rng.uniform(0, 180) if starts and rng.random() < k.concurrency else \
            rng.uniform(0, k.duration_s * 0.8)
        starts.append(t0)
        x = rng.random()
        done = (b.domain_incident(n, t0, hit, rng.random() < 0.7) if x < dom_share else
                b.machine_incident(n, t0, hit) if x < dom_share + mach_share else False)
        if not done:
            b.incident(n, t0)
    b.noise(round(k.noise * k.incidents))
    for j in range(round(k.noise * k.incidents / 4)):  # a domain that alerts with nothing following
        t = rng.uniform(0, k.duration_s)
        b.domain_alert(rng.choice(domains), rng.choice(b.clusters), f"dnoise-{j}", t, t + rng.uniform(120, 1800))
    declared = {s: ups for s, ups in sorted(b.deps.items()) if coverage >= 1.0 or rng.random() < coverage}
    return Storm(STYLE, seed, k, b.alerts, declared)
