"""The third held-out storm style: written before the co-location work of issue #20, scored once at the end.

VM hosts ("vm-hosts"): services run as processes on shared virtual machines, not on Kubernetes.
An alert carries `instance` = `<host>:<port>` of the process it is about (no `node`, no `pod`,
no `cluster`), `job` = the service. Two kinds of incident:

* a service cascade (as in the training styles), its alerts on the failing service's instances;
* a host failure: a node_exporter alert about the VM (`HostDiskFull`, `HostHighCpuLoad`,
  `HostOutOfMemory`, `HostNetworkErrors`; `job="node"`, `instance=<host>:9100`, no `service`, no
  `namespace`), then 40-100% of the services with an instance on that host alert on that instance
  30-180 s later, each with its callers cascading. Only the host part of `instance` ties them.

The operator's graph is partial: each service's `depends_on` entry is declared with a chance of
40-80% per storm, while cascades follow the whole call graph. Concurrent incidents start 0-5
minutes after another one. Alertmanager groups by (alertname, job). The knob ranges overlap the
training styles'; hosts, the instance-only labels and the partial graph are new to it. The fit
(family_fit.py) never reads this module.
"""

from __future__ import annotations

import random

from engine.lab.alerts.family import FamAlert, Knobs, Storm, _Builder

HOLDOUT3_STYLE = "vm-hosts"
HOLDOUT3_GROUP_BY = ("alertname", "job")
HOST_ALERTS = ["HostDiskFull", "HostHighCpuLoad", "HostOutOfMemory", "HostNetworkErrors"]


class _VmBuilder(_Builder):
    """The family's cascade machinery with service instances placed on VM hosts, and host failures."""

    def __init__(self, k: Knobs, rng: random.Random, hosts: int) -> None:
        super().__init__(k, rng)
        dc = rng.choice(["fra1", "ams3", "iad2", "sfo1"])
        self.hosts = [f"vm-{rng.choice(['app', 'svc', 'web'])}-{i:02d}.{dc}.internal" for i in range(hosts)]
        self.port = {s: rng.choice([8080, 8000, 9000, 3000, 5000]) + i % 7 for i, s in enumerate(self.svcs)}
        self.where: dict[str, list[str]] = {s: rng.sample(self.hosts, min(len(self.hosts), rng.randint(*k.instances)))
                                            for s in self.svcs}

    def labels(self, svc: str, cl: str, name: str, sev: str, i: int) -> dict[str, str]:
        host = self.where[svc][i % len(self.where[svc])]
        return {"alertname": name, "service": svc, "namespace": self.ns[svc], "severity": sev,
                "instance": f"{host}:{self.port[svc]}", "job": svc, "env": "prod"}

    def emit(self, affected: list[tuple[str, float, float]], cl: str, truth: str,
             names: dict[str, list[str]], inst: dict[str, int]) -> None:
        """Add a service cascade's alerts: at most one per instance the service has."""
        super().emit(affected, cl, truth, names, {s: min(v, len(self.where[s])) for s, v in inst.items()})

    def host_incident(self, n: int, t0: float, share: float) -> bool:
        """Fail one host at t0: its node_exporter alert, its services' instances, their callers' cascades."""
        truth, cl = f"inc-{n}", self.clusters[0]
        host = self.rng.choice(self.hosts)
        end = t0 + self.rng.uniform(300, 1800)
        on_host = [(s, self.where[s].index(host)) for s in self.svcs if host in self.where[s]]
        affected: list[tuple[str, float, float]] = []
        idx: dict[str, int] = {}
        for s, i in on_host:
            if s in idx or any(s == a for a, _, _ in affected) or self.rng.random() > share:
                continue
            t = t0 + self.rng.uniform(30, 180)
            cascade = self.spread(s, cl, t, end - t0, truth)
            if not cascade:
                continue
            idx[s] = i
            for x in cascade:
                if all(x[0] != a for a, _, _ in affected):
                    affected.append(x)
        if not affected:
            return False
        for name in self.rng.sample(HOST_ALERTS, self.rng.randint(1, 2)):
            self.alerts.append(FamAlert({"alertname": name, "severity": "critical", "instance": f"{host}:9100",
                                         "job": "node", "env": "prod"}, truth, t0 + self.rng.uniform(0, 20), end))
        for svc, t, e in affected:
            self.busy.setdefault((svc, cl), []).append((t, e, truth))
            names = self.rng.sample(self.symptoms, min(len(self.symptoms), self.rng.randint(1, 2)))
            # The instance on the failed host alerts; a caller's instances alert wherever they run.
            which = [idx[svc]] if svc in idx else range(len(self.where[svc]))
            for name in names:
                for i in which:
                    at = t + self.rng.uniform(0, 45)
                    a = FamAlert(self.labels(svc, cl, name, "warning", i), truth, at,
                                 max(at + 90, e + self.rng.uniform(-30, 30)))
                    self._flaps(a)
                    self.alerts.append(a)
        return True


def holdout3_knobs(seed: int) -> tuple[Knobs, int, float, float, float]:
    """Draw the style's knobs: the family's, host count, host-failure share, share of a host's services hit, graph coverage."""
    r = random.Random(f"knobs:{HOLDOUT3_STYLE}:{seed}")
    k = Knobs(services=r.randint(15, 40), shape=r.choice(["layered", "tree", "mesh"]), namespaces=r.randint(2, 5),
              clusters=1, hop_lag=(r.uniform(30, 60), r.uniform(90, 150)), incidents=r.randint(6, 14),
              duration_s=r.uniform(7200, 10800), concurrency=r.uniform(0.2, 0.5), recurrence=r.uniform(0.1, 0.3),
              flap=r.uniform(0.05, 0.25), dup=r.uniform(0.2, 0.6), noise=r.uniform(0.3, 1.2),
              label_reuse=r.uniform(0.3, 0.8), spread=r.uniform(0.4, 0.7), instances=(1, 3))
    return k, r.randint(5, 15), r.uniform(0.3, 0.5), r.uniform(0.4, 1.0), r.uniform(0.4, 0.8)


def holdout3_storm(seed: int) -> Storm:
    """Generate one storm of the third held-out style (its depends_on is the operator's partial graph)."""
    k, hosts, host_share, hit, coverage = holdout3_knobs(seed)
    rng = random.Random(f"{HOLDOUT3_STYLE}:{seed}")
    b = _VmBuilder(k, rng, hosts)
    starts: list[float] = []
    for n in range(k.incidents):
        if starts and rng.random() < k.concurrency:
            t0 = rng.choice(starts) + rng.uniform(0, 300)
        else:
            t0 = rng.uniform(0, k.duration_s * 0.8)
        starts.append(t0)
        if not (rng.random() < host_share and b.host_incident(n, t0, hit)):
            b.incident(n, t0)
    b.noise(round(k.noise * k.incidents))
    declared = {s: ups for s, ups in sorted(b.deps.items()) if rng.random() < coverage}
    return Storm(HOLDOUT3_STYLE, seed, k, b.alerts, declared)
