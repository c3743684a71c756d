"""Training style "shared-hosts": services on shared machines, machine failures, a partial declared graph.

Every service's 1-3 instances run on a few shared machines (3-12 per storm). Per storm, the labels
follow one of two conventions: Kubernetes (`node` and `pod` on a workload's alerts; a node alert
names the `node` and no pod) or agent-style (`host` on a workload's alerts beside `service`; a host
alert names the `host` and no service). 15-40% of incidents are a machine failure: one or two
alerts about the machine, then 50-100% of the services with an instance there alert on it
20-150 s later, each with its callers cascading; they need not be neighbours in the call graph.
Machine alerts also fire alone (noise). A third of the storms declare the whole graph; the others
declare each service's depends_on with a chance of 40-90%, while cascades follow the whole graph.
All knobs are drawn per seed. Used by the fit like the other training styles (family_train.TRAIN_STYLES).
"""

from __future__ import annotations

import random

from engine.lab.alerts.family import FamAlert, Knobs, Storm, _Builder, _u

STYLE = "shared-hosts"
NODE_ALERTS = ["NodeNotReady", "NodeMemoryPressure", "NodeDiskPressure", "NodeNetworkUnavailable", "KubeletDown"]
HOST_ALERTS = ["HostDown", "HostDiskIOSaturated", "HostSwapping", "HostFilesystemReadOnly", "HostNetworkDown"]


class _HostsBuilder(_Builder):
    """The family's cascade machinery with instances placed on shared machines, and machine failures."""

    def __init__(self, k: Knobs, rng: random.Random, machines: int, k8s: bool) -> None:
        super().__init__(k, rng)
        self.k8s = k8s
        self.machines = [f"{'node' if k8s else 'host'}-{rng.randrange(100, 999)}-{i}" for i in range(machines)]
        self.down: list[tuple[str, float, float]] = []  # (machine, from, to) of its alerts: one cause at a time
        self.where = {s: rng.sample(self.machines, min(machines, rng.randint(*k.instances))) for s in self.svcs}

    def labels(self, svc: str, cl: str, name: str, sev: str, i: int) -> dict[str, str]:
        m = self.where[svc][i % len(self.where[svc])]
        out = {"alertname": name, "service": svc, "namespace": self.ns[svc], "cluster": cl, "severity": sev}
        if self.k8s:
            out.update(node=m, pod=f"{svc}-{i}-{m[-3:]}", instance=f"10.1.{i}.{len(svc)}:8080")
        else:
            out.update(host=m, instance=f"{svc}-{i}")
        return out

    def emit(self, affected: list[tuple[str, float, float]], cl: str, truth: str,
             names: dict[str, list[str]], inst: dict[str, int]) -> None:
        """Add a service cascade's alerts: at most one per instance the service has."""
        super().emit(affected, cl, truth, names, {s: min(v, len(self.where[s])) for s, v in inst.items()})

    def machine_alert(self, m: str, cl: str, truth: str, t: float, end: float, name: str) -> None:
        """Add one alert about machine m (no workload named)."""
        lab = {"alertname": name, "cluster": cl, "severity": "critical"}
        self.down.append((m, t, end))
        lab.update({"node": m, "service": "node-problem-detector", "namespace": "kube-system"} if self.k8s else
                   {"host": m, "job": "telegraf"})
        self.alerts.append(FamAlert(lab, truth, t, end))

    def machine_incident(self, n: int, t0: float, hit: float) -> bool:
        """Fail one machine at t0: its alerts, its instances' services, their callers' cascades."""
        truth, cl, m = f"inc-{n}", self.rng.choice(self.clusters), self.rng.choice(self.machines)
        end = t0 + self.rng.uniform(300, 1800)
        affected: list[tuple[str, float, float]] = []
        idx: dict[str, int] = {}
        for s in self.svcs:
            if m not in self.where[s] or s in idx or self.rng.random() > hit:
                continue
            t = t0 + self.rng.uniform(20, 150)
            cascade = self.spread(s, cl, t, end - t0, truth)
            if cascade:
                idx[s] = self.where[s].index(m)
                affected += [x for x in cascade if all(x[0] != a for a, _, _ in affected)]
        if not affected:
            return False
        for name in self.rng.sample(NODE_ALERTS if self.k8s else HOST_ALERTS, self.rng.randint(1, 2)):
            self.machine_alert(m, cl, truth, t0 + self.rng.uniform(0, 20), end, name)
        for svc, t, e in affected:
            self.busy.setdefault((svc, cl), []).append((t, e, truth))
            names = self.rng.sample(self.symptoms, min(len(self.symptoms), self.rng.randint(1, 2)))
            for name in names:
                for i in ([idx[svc]] if svc in idx else range(len(self.where[svc]))):
                    at = t + self.rng.uniform(0, 45)
                    a = FamAlert(self.labels(svc, cl, name, "warning", i), truth, at, max(at + 90, e + self.rng.uniform(-30, 30)))
                    self._flaps(a)
                    self.alerts.append(a)
        return True


def hosts_storm(seed: int) -> Storm:
    """Generate one storm of the shared-hosts training style (its depends_on is the declared graph)."""
    r = random.Random(f"knobs:{STYLE}:{seed}")
    k = Knobs(r.randint(15, 40), r.choice(["layered", "hub", "tree", "mesh"]), r.randint(2, 5), r.randint(1, 2),
              (30, _u(r, 60, 150)), r.randint(8, 14), duration_s=_u(r, 7200, 10800), concurrency=_u(r, 0.1, 0.4),
              recurrence=_u(r, 0.1, 0.3), flap=_u(r, 0.05, 0.2), dup=_u(r, 0.1, 0.5), noise=_u(r, 0.3, 1.0),
              label_reuse=_u(r, 0.3, 0.8), spread=_u(r, 0.4, 0.7))
    machines, share, hit, k8s = r.randint(3, 12), _u(r, 0.15, 0.4), _u(r, 0.5, 1.0), r.random() < 0.5
    coverage = 1.0 if r.random() < 1 / 3 else _u(r, 0.4, 0.9)
    rng = random.Random(f"{STYLE}:{seed}")
    b = _HostsBuilder(k, rng, machines, k8s)
    starts: list[float] = []
    for n in range(k.incidents):
        t0 = rng.choice(starts) + rng.uniform(0, 120) if starts and rng.random() < k.concurrency else \
            rng.uniform(0, k.duration_s * 0.8)
        starts.append(t0)
        if not (rng.random() < share and b.machine_incident(n, t0, hit)):
            b.incident(n, t0)
    b.noise(round(k.noise * k.incidents))
    for j in range(round(k.noise * k.incidents / 3)):  # machines that alert with nothing following
        t, m = rng.uniform(0, k.duration_s), rng.choice(b.machines)
        e = t + rng.uniform(120, 1800)
        if all(x != m or e + 120 < s or t > f + 120 for x, s, f in b.down):
            b.machine_alert(m, rng.choice(b.clusters), f"mnoise-{j}", t, e, rng.choice(NODE_ALERTS if k8s else HOST_ALERTS))
    declared = {s: ups for s, ups in sorted(b.deps.items()) if coverage >= 1.0 or rng.random() < coverage}
    return Storm(STYLE, seed, k, b.alerts, declared)
