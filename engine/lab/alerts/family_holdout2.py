"""The second held-out storm style: written before the no-graph tuning of issue #20, scored once at the end.

Kubernetes nodes ("k8s-nodes"): services are deployments whose 1-3 pods run on shared nodes, and
every alert carries what kube-prometheus would put on it: `pod`, `node`, `container`, `job` and
`instance` beside `service` and `namespace`. Two kinds of incident:

* a service cascade (as in the training styles), its alerts on the failing service's pods;
* a node failure: `KubeNodeNotReady` from kube-state-metrics (service `kube-state-metrics`,
  namespace `monitoring`, the `node` label), then `KubePodNotReady` on the pods scheduled there,
  20-120 s later, each of those services' callers cascading from it. The services of one node
  incident need not be neighbours in the call graph: only the `node` label ties them.

Cascades are staggered: a concurrent incident starts 2-8 minutes after another one (while it is
still spreading), not within the same two minutes. Alertmanager groups by (alertname, namespace).
The knob ranges overlap the training styles'; the node incidents, the staggering and the k8s
labels are new to it. The fit (family_fit.py) never reads this module.
"""

from __future__ import annotations

import random

from engine.lab.alerts.family import FamAlert, Knobs, Storm, _Builder

HOLDOUT2_STYLE = "k8s-nodes"
HOLDOUT2_GROUP_BY = ("alertname", "namespace")
_HEX = "bcdfghjklmnpqrstvwxz2456789"


class _K8sBuilder(_Builder):
    """The family's cascade machinery with pods placed on nodes, and node failures."""

    def __init__(self, k: Knobs, rng: random.Random, nodes: int) -> None:
        super().__init__(k, rng)
        self.nodes = [f"ip-10-0-{rng.randrange(256)}-{i}.ec2.internal" for i in range(nodes)]
        rs = {s: "".join(rng.choice(_HEX) for _ in range(9)) for s in self.svcs}
        # Each deployment's pods, spread over distinct nodes when it can.
        self.pods: dict[str, list[tuple[str, str]]] = {}
        for s in self.svcs:
            where = rng.sample(self.nodes, min(len(self.nodes), rng.randint(*k.instances)))
            self.pods[s] = [(f"{s}-{rs[s]}-{''.join(rng.choice(_HEX) for _ in range(5))}", n) for n in where]

    def labels(self, svc: str, cl: str, name: str, sev: str, i: int) -> dict[str, str]:
        pod, node = self.pods[svc][i % len(self.pods[svc])]
        return {"alertname": name, "service": svc, "namespace": self.ns[svc], "cluster": cl, "severity": sev,
                "pod": pod, "node": node, "container": svc, "job": svc, "instance": f"{pod}:8080"}

    def emit(self, affected: list[tuple[str, float, float]], cl: str, truth: str,
             names: dict[str, list[str]], inst: dict[str, int]) -> None:
        """Add a service cascade's alerts: at most one per pod the deployment has."""
        super().emit(affected, cl, truth, names, {s: min(v, len(self.pods[s])) for s, v in inst.items()})

    def node_incident(self, n: int, t0: float) -> bool:
        """Fail one node at t0: its NotReady alert, its pods', and their callers' cascades."""
        truth, cl = f"inc-{n}", self.rng.choice(self.clusters)
        node = self.rng.choice(self.nodes)
        dur = self.rng.uniform(300, 1800)
        end = t0 + dur
        on_node = [(s, p) for s in self.svcs for p, nd in self.pods[s] if nd == node]
        affected: list[tuple[str, float, float]] = []
        pod_of: dict[str, str] = {}
        seen: set[str] = set()
        for s, pod in on_node:
            if s in seen:
                continue
            t = t0 + self.rng.uniform(20, 120)
            cascade = self.spread(s, cl, t, dur, truth)
            if not cascade:
                continue
            pod_of[s] = pod
            for x in cascade:
                if x[0] not in seen:
                    seen.add(x[0])
                    affected.append(x)
        if not affected:
            return False
        self.alerts.append(FamAlert({"alertname": "KubeNodeNotReady", "service": "kube-state-metrics",
                                     "namespace": "monitoring", "cluster": cl, "severity": "critical", "node": node,
                                     "job": "kube-state-metrics", "instance": "10.0.3.7:8080"}, truth, t0, end))
        for svc, t, e in affected:
            self.busy.setdefault((svc, cl), []).append((t, e, truth))
            if svc in pod_of:  # scheduled on the failed node: that pod is not ready
                lab = self.labels(svc, cl, "KubePodNotReady", "warning", 0)
                lab["pod"], lab["node"] = pod_of[svc], node
                lab["instance"] = f"{pod_of[svc]}:8080"
                names = []
                self.alerts.append(FamAlert(lab, truth, t + self.rng.uniform(0, 30), max(t + 90, e)))
            else:
                names = self.rng.sample(self.symptoms, min(len(self.symptoms), self.rng.randint(1, 2)))
            for name in names:
                for i in range(len(self.pods[svc])):
                    start = t + self.rng.uniform(0, 45)
                    a = FamAlert(self.labels(svc, cl, name, "warning", i), truth, start,
                                 max(start + 90, e + self.rng.uniform(-30, 30)))
                    self._flaps(a)
                    self.alerts.append(a)
        return True


def holdout2_knobs(seed: int) -> tuple[Knobs, int, float]:
    """Draw the style's knobs for one seed: the family's knobs, the node count, the node-failure share."""
    r = random.Random(f"knobs:{HOLDOUT2_STYLE}:{seed}")
    k = Knobs(services=r.randint(20, 45), shape=r.choice(["layered", "mesh", "hub"]), namespaces=r.randint(2, 5),
              clusters=1, hop_lag=(r.uniform(30, 50), r.uniform(80, 150)), incidents=r.randint(8, 16),
              duration_s=r.uniform(7200, 10800), concurrency=r.uniform(0.3, 0.6), recurrence=r.uniform(0.1, 0.3),
              flap=r.uniform(0.05, 0.25), dup=r.uniform(0.2, 0.6), noise=r.uniform(0.5, 1.5),
              label_reuse=r.uniform(0.4, 0.8), spread=r.uniform(0.4, 0.7), instances=(1, 3))
    return k, r.randint(4, 10), r.uniform(0.2, 0.4)


def holdout2_storm(seed: int) -> Storm:
    """Generate one storm of the second held-out style."""
    k, nodes, node_share = holdout2_knobs(seed)
    rng = random.Random(f"{HOLDOUT2_STYLE}:{seed}")
    b = _K8sBuilder(k, rng, nodes)
    starts: list[float] = []
    for n in range(k.incidents):
        if starts and rng.random() < k.concurrency:
            t0 = rng.choice(starts) + rng.uniform(120, 480)  # staggered: while the other is still spreading
        else:
            t0 = rng.uniform(0, k.duration_s * 0.8)
        starts.append(t0)
        if not (rng.random() < node_share and b.node_incident(n, t0)):
            b.incident(n, t0)
    b.noise(round(k.noise * k.incidents))
    return Storm(HOLDOUT2_STYLE, seed, k, b.alerts, b.deps)
