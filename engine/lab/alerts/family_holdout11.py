"""The eleventh held-out storm style: written before the generalization work of issue #20's eleventh session, scored once at its end.

A Kubernetes cluster with a service mesh and operators ("k8s-mesh"): 3-7 application namespaces of 1-4
Deployments each, calling one another through Istio sidecars, on 4-12 nodes, beside the control plane
(etcd, kube-apiserver, istiod, admission webhooks) and cert-manager. Alerts are what kube-prometheus and
the usual mixins give:

* Istio's telemetry (recording rules over istio_requests_total): `destination_workload`,
  `destination_workload_namespace`, `destination_service_name` (`<svc>.<ns>.svc.cluster.local` or the
  bare name, per storm), `reporter`, and per storm `source_workload` / `source_workload_namespace`
  (rules by caller and callee: one alert per edge) or not; `namespace` is the destination's;
* kube-state-metrics (kube-prometheus' rules): `namespace`, `pod`, `container`, `deployment` or
  `horizontalpodautoscaler`, and `job="kube-state-metrics"`, `service="kube-prometheus-stack-kube-state-metrics"`,
  `instance=<ksm pod ip>:8080`: the exporter's Service, the same on every such alert, not the workload;
* the node (kube-state-metrics' `KubeNodeNotReady` with `node`; node-exporter's with `instance=<node ip>:9100`,
  `service="node-exporter"`);
* the control plane: etcd (`job="etcd"`, `instance=<ip>:2379`), the API server (`job="apiserver"`,
  `verb`, `resource`), istiod (`app="istiod"`, `namespace="istio-system"`, `type` of xDS push), webhooks
  (`name` of the webhook, `operation`), operators' reconcile errors (`controller`, `namespace`);
* cert-manager: `name` (the Certificate), `exported_namespace`, `issuer_name`, `issuer_kind`;
* SLO rules (Sloth's `sloth_service` / `sloth_slo` or Pyrra's `slo`), multi-window burn rates: the fast
  burn minutes after the trouble starts, the slow burn (`long_window="6h"`) 15-40 minutes after it;
* Prometheus itself: `PrometheusRuleFailures`, `TargetDown` (`job`, `namespace`, `service`).

Every Prometheus alert carries `prometheus="monitoring/k8s"`, and in about half the storms the HA pair's
`prometheus_replica` is not dropped by the alert relabelling: every rule-based alert arrives twice, once
per replica (two fingerprints), their onsets up to 30 s apart (the replicas evaluate apart); in a third
of the storms every alert names the `cluster` (one value). No `service` naming a workload, no `host`,
zone or rack. Kinds of trouble:

* **a bad rollout** of a Deployment: its pods crash-looping, the Deployment's replicas mismatched, its
  5xx in the mesh (1-3 minutes), its callers' errors climbing the call graph 1-4 minutes per hop, the
  fast SLO burn of its service, and 15-40 minutes later the slow burn;
* **a control-plane outage** (the slow, wide cascade): etcd slow or losing a member, the API server's
  errors 1-3 minutes later, then istiod's push errors and the webhooks failing, and across 3-7
  namespaces over 3-15 minutes rollouts stuck, HPAs unable to scale, operators' reconcile errors;
* **a certificate not renewed**: cert-manager's Certificate not ready, then at expiry the mesh's TLS
  handshakes failing for every workload of its namespace within 0-3 minutes and their callers' errors;
* **a node failing**: `KubeNodeNotReady`, its pods not ready 20-120 s later, the mesh's errors of the
  workloads with every replica there;
* 2-4 noisy recurring alerts (CPU throttling, a certificate expiring in 14 days, an HPA maxed out, a
  flaky target down) each firing its own incident every 15-45 minutes; one-off noise; whole incidents
  recurring 6-25 minutes after they end.

Delivery is Alertmanager's with its timers (family_holdout7_wire.am_timed_deliveries): per storm grouped
by (namespace), (alertname, namespace), (alertname) or (cluster, namespace), group_wait 30 s,
group_interval 60-300 s; the Alertmanager HA pair re-sends some. The declared graph (workloads on the
workloads they call, 30-100% of the entries) names Deployments. The fit (family_fit.py) never reads this module.
"""

from __future__ import annotations

import random
from typing import Any

from engine.lab.alerts.family import Knobs, Storm, place_incidents
from engine.lab.alerts.family_book import AlertBook, Plan
from engine.lab.alerts.family_holdout7_wire import am_timed_deliveries
from engine.lab.alerts.family_wire import Delivery

HOLDOUT11_STYLE = "k8s-mesh"
CRASH, MISMATCH, NOT_READY = "KubePodCrashLooping", "KubeDeploymentReplicasMismatch", "KubePodNotReady"
MESH_5XX, MESH_LATENCY, MESH_TLS = "IstioHighRequestErrorRate", "IstioHighRequestLatency", "IstioTLSHandshakeErrors"
FAST_BURN, SLOW_BURN = "ErrorBudgetBurnFast", "ErrorBudgetBurnSlow"
ETCD_SLOW, ETCD_MEMBER = "etcdHighFsyncDurations", "etcdMembersDown"
API_ERRORS, API_LATENCY = "KubeAPIErrorBudgetBurn", "KubeAPILatencyHigh"
ISTIOD_PUSH, WEBHOOK = "IstiodXDSPushErrors", "AdmissionWebhookFailing"
ROLLOUT_STUCK, HPA_STUCK, RECONCILE = "KubeDeploymentRolloutStuck", "KubeHpaReplicasMismatch", "OperatorReconcileErrors"
CERT_NOT_READY, CERT_SOON = "CertManagerCertNotReady", "CertManagerCertExpirySoon"
NODE_DOWN, THROTTLE, HPA_MAX, TARGET_DOWN = "KubeNodeNotReady", "CPUThrottlingHigh", "KubeHpaMaxedOut", "TargetDown"
MIN_SPAN_S = 300.0
NAMESPACES = ["shop", "payments", "identity", "search", "catalog", "notifications", "analytics", "media"]
WORKLOADS = ["frontend", "api", "checkout", "cart", "orders", "billing", "auth", "sessions", "profile", "indexer",
             "query", "pricing", "inventory", "mailer", "push", "ingest", "thumbnailer", "recommender", "ledger",
             "gateway-bff", "webhooks", "scheduler"]
OPERATORS = ["postgres-operator", "kafka-operator", "redis-operator", "argo-rollouts", "external-secrets"]
KSM = {"job": "kube-state-metrics", "service": "kube-prometheus-stack-kube-state-metrics"}


class _MeshBuilder(AlertBook):
    """Namespaces, Deployments, a mesh call graph, nodes, the control plane; incidents as alerts with truth."""

    def __init__(self, rng: random.Random, x: dict[str, Any]) -> None:
        super().__init__(rng, MIN_SPAN_S)
        self.v: dict[str, Any] = x["vocab"]
        self.namespaces = rng.sample(NAMESPACES, x["namespaces"])
        names = rng.sample(WORKLOADS, min(len(WORKLOADS), sum(rng.randint(1, 4) for _ in self.namespaces)))
        self.ns_of = {w: self.namespaces[i % len(self.namespaces)] for i, w in enumerate(names)}
        self.workloads = names
        # the mesh's call graph: a workload calls 0-3 later ones (a DAG)
        self.calls = {w: sorted(rng.sample(names[i + 1:], min(len(names) - i - 1, rng.randint(0, 3))))
                      for i, w in enumerate(names)}
        self.callers = {w: sorted(c for c, cs in self.calls.items() if w in cs) for w in names}
        self.nodes = [f"ip-10-0-{rng.randint(1, 250)}-{rng.randint(1, 250)}.ec2.internal" if self.v["aws"]
                      else f"gke-prod-default-pool-{rng.randrange(16**4):04x}-{rng.randrange(36**4):04x}"
                      for _ in range(x["nodes"])]
        self.pods = {w: [(f"{w}-{rng.randrange(16**9):09x}-{rng.randrange(36**5):05x}", rng.choice(self.nodes))
                         for _ in range(rng.randint(1, 3))] for w in names}
        self.certs = {ns: f"{ns}-tls" for ns in self.namespaces}
        self.operators = rng.sample(OPERATORS, rng.randint(1, 3))

    # Labels, as each source writes them.
    def _prom(self, out: dict[str, str]) -> dict[str, str]:
        out["prometheus"] = "monitoring/k8s"
        if self.v["cluster"]:
            out["cluster"] = self.v["cluster"]
        return out

    def mesh(self, name: str, w: str, src: str | None = None, sev: str = "critical") -> dict[str, str]:
        ns = self.ns_of[w]
        svc = f"{w}.{ns}.svc.cluster.local" if self.v["fqdn"] else w
        out = {"alertname": name, "severity": sev, "namespace": ns, "destination_workload": w,
               "destination_workload_namespace": ns, "destination_service_name": svc, "reporter": self.v["reporter"]}
        if self.v["per_edge"] and src is not None:
            out |= {"source_workload": src, "source_workload_namespace": self.ns_of[src]}
        return self._prom(out)

    def ksm_pod(self, name: str, w: str, k: int, sev: str = "warning") -> dict[str, str]:
        pod = self.pods[w][k % len(self.pods[w])][0]
        return self._prom({"alertname": name, "severity": sev, "namespace": self.ns_of[w], "pod": pod,
                           "container": w, "instance": self.v["ksm_ip"], **KSM})

    def ksm_deploy(self, name: str, w: str, sev: str = "warning") -> dict[str, str]:
        key = "horizontalpodautoscaler" if name in (HPA_STUCK, HPA_MAX) else "deployment"
        return self._prom({"alertname": name, "severity": sev, "namespace": self.ns_of[w], key: w,
                           "instance": self.v["ksm_ip"], **KSM})

    def node(self, name: str, node: str, sev: str = "critical") -> dict[str, str]:
        return self._prom({"alertname": name, "severity": sev, "node": node, "instance": self.v["ksm_ip"], **KSM})

    def slo(self, name: str, w: str) -> dict[str, str]:
        out = {"alertname": name, "severity": "critical" if name == FAST_BURN else "ticket", "namespace": self.ns_of[w]}
        if self.v["sloth"]:
            out |= {"sloth_service": w, "sloth_slo": "requests-availability", "sloth_id": f"{w}-requests-availability"}
        else:
            out |= {"slo": f"{w}-availability"}
        out |= {"long_window": "6h", "short_window": "30m"} if name == SLOW_BURN else {"long_window": "1h",
                                                                                           "short_window": "5m"}
        return self._prom(out)

    def control(self, name: str, k: int = 0, sev: str = "critical") -> dict[str, str]:
        if name in (ETCD_SLOW, ETCD_MEMBER):
            out = {"job": "etcd", "instance": f"10.0.0.{10 + k}:2379"}
        elif name in (API_ERRORS, API_LATENCY):
            out = {"job": "apiserver", "verb": ["LIST", "WATCH", "PATCH"][k % 3], "resource": "pods"}
        elif name == ISTIOD_PUSH:
            out = {"app": "istiod", "namespace": "istio-system", "type": ["cds", "eds", "lds"][k % 3]}
        else:  # WEBHOOK
            out = {"name": ["sidecar-injector.istio.io", "webhook.cert-manager.io", "validation.gatekeeper.sh"][k % 3],
                   "operation": "CREATE", "job": "apiserver"}
        return self._prom({"alertname": name, "severity": sev, **out})

    def cert(self, name: str, ns: str, sev: str = "critical") -> dict[str, str]:
        return self._prom({"alertname": name, "severity": sev, "name": self.certs[ns], "exported_namespace": ns,
                           "issuer_name": self.v["issuer"], "issuer_kind": "ClusterIssuer", "namespace": "cert-manager",
                           "job": "cert-manager"})

    def add(self, plan: Plan, truth: str, end: float, long: bool = False) -> bool:
        """Add the incident; with the HA pair's replica label kept, every Prometheus alert twice, up to 30 s apart."""
        if self.v["replicas"]:
            plan = [(lab | {"prometheus_replica": f"prometheus-k8s-{r}"}, t + (self.rng.uniform(0, 30) if r else 0.0))
                    for lab, t in plan for r in (0, 1)]
        return super().add(plan, truth, end, long)

    # Kinds of trouble.
    def _climb(self, w: str, t: float, plan: Plan, depth: int = 0) -> None:
        """Add the callers' mesh errors, 1-4 minutes per hop, each caller with a chance of 70%."""
        if depth >= 4:
            return
        for c in self.callers[w]:
            if self.rng.random() < 0.7:
                tc = t + self.rng.uniform(60, 240)
                plan.append((self.mesh(self.rng.choice([MESH_5XX, MESH_LATENCY]), w, c), tc))
                plan.append((self.mesh(MESH_5XX, c, None, "warning"), tc + self.rng.uniform(10, 90)))
                self._climb(c, tc, plan, depth + 1)

    def bad_rollout(self, t0: float) -> tuple[Plan, float]:
        """Plan a bad rollout: crash-looping pods, replicas mismatched, its 5xx, the callers, fast and slow SLO burn."""
        rng = self.rng
        w = rng.choice(self.workloads)
        plan: Plan = [(self.ksm_pod(CRASH, w, k), t0 + rng.uniform(0, 60)) for k in range(rng.randint(1, len(self.pods[w])))]
        plan.append((self.ksm_deploy(MISMATCH, w), t0 + rng.uniform(120, 600)))
        t5 = t0 + rng.uniform(60, 180)
        plan.append((self.mesh(MESH_5XX, w, rng.choice(self.callers[w] or [None])), t5))
        self._climb(w, t5, plan)
        plan.append((self.slo(FAST_BURN, w), t5 + rng.uniform(120, 420)))
        end = t0 + rng.uniform(1200, 3600)
        plan.append((self.slo(SLOW_BURN, w), t5 + rng.uniform(900, 2400)))
        return plan, end

    def control_plane(self, t0: float) -> tuple[Plan, float]:
        """Plan a control-plane outage: etcd, the API server, istiod and webhooks, then 3-7 namespaces over minutes."""
        rng = self.rng
        plan: Plan = [(self.control(rng.choice([ETCD_SLOW, ETCD_MEMBER]), k), t0 + rng.uniform(0, 60))
                      for k in range(rng.randint(1, 3))]
        ta = t0 + rng.uniform(60, 180)
        plan += [(self.control(API_ERRORS, k), ta + rng.uniform(0, 60)) for k in range(rng.randint(1, 3))]
        if rng.random() < 0.6:
            plan.append((self.control(API_LATENCY, 0, "warning"), ta + rng.uniform(0, 120)))
        plan += [(self.control(ISTIOD_PUSH, k), ta + rng.uniform(30, 240)) for k in range(rng.randint(1, 2))]
        plan += [(self.control(WEBHOOK, k), ta + rng.uniform(30, 300)) for k in range(rng.randint(0, 2))]
        span = rng.uniform(180, 900)
        hit = rng.sample(self.namespaces, min(len(self.namespaces), rng.randint(3, 7)))
        for ns in hit:
            tn = ta + rng.uniform(60, 60 + span)
            for w in [w for w in self.workloads if self.ns_of[w] == ns]:
                if rng.random() < 0.6:
                    plan.append((self.ksm_deploy(rng.choice([ROLLOUT_STUCK, HPA_STUCK]), w), tn + rng.uniform(0, 120)))
            if rng.random() < 0.5:
                op = rng.choice(self.operators)
                plan.append((self._prom({"alertname": RECONCILE, "severity": "warning", "namespace": ns,
                                         "controller": op, "job": op}), tn + rng.uniform(0, 180)))
        return plan, t0 + span + rng.uniform(900, 2400)

    def cert_expired(self, t0: float) -> tuple[Plan, float]:
        """Plan a certificate not renewed: the Certificate not ready, then TLS failing in its namespace, the callers."""
        rng = self.rng
        ns = rng.choice(self.namespaces)
        plan: Plan = [(self.cert(CERT_NOT_READY, ns), t0)]
        te = t0 + rng.uniform(30, 240)
        for w in [w for w in self.workloads if self.ns_of[w] == ns]:
            tw = te + rng.uniform(0, 180)
            plan.append((self.mesh(MESH_TLS, w, rng.choice(self.callers[w] or [None])), tw))
            if rng.random() < 0.5:
                self._climb(w, tw, plan, 2)
        return plan, t0 + rng.uniform(900, 2400)  # until someone renews it by hand

    def node_failing(self, t0: float) -> tuple[Plan, float]:
        """Plan a node failing: KubeNodeNotReady, its pods not ready, the workloads with every replica there."""
        rng = self.rng
        node = rng.choice(self.nodes)
        plan: Plan = [(self.node(NODE_DOWN, node), t0)]
        for w in self.workloads:
            on = [k for k, (_, nd) in enumerate(self.pods[w]) if nd == node]
            for k in on:
                plan.append((self.ksm_pod(NOT_READY, w, k), t0 + rng.uniform(20, 120)))
            if on and len(on) == len(self.pods[w]):
                tw = t0 + rng.uniform(60, 240)
                plan.append((self.mesh(MESH_5XX, w, rng.choice(self.callers[w] or [None])), tw))
                self._climb(w, tw, plan, 2)
        return plan, t0 + rng.uniform(900, 2400)

    def incident(self, n: int, t0: float, shares: list[float], recurrence: float) -> None:
        """Add incident n of one kind at t0, and maybe its recurrences."""
        self.place(n, t0, [self.bad_rollout, self.control_plane, self.cert_expired, self.node_failing], shares,
                   recurrence)

    def _noise_alert(self) -> dict[str, str]:
        rng = self.rng
        x = rng.random()
        w = rng.choice(self.workloads)
        if x < 0.3:
            return self.ksm_pod(THROTTLE, w, rng.randrange(3), "info")
        if x < 0.45:
            return self.cert(CERT_SOON, self.ns_of[w], "warning")
        if x < 0.6:
            return self.ksm_deploy(HPA_MAX, w)
        if x < 0.75:
            return self._prom({"alertname": TARGET_DOWN, "severity": "warning", "job": w, "namespace": self.ns_of[w],
                               "service": w})
        if x < 0.9:
            return self.mesh(MESH_LATENCY, w, None, "warning")
        return self._prom({"alertname": "PrometheusRuleFailures", "severity": "warning", "job": "prometheus-k8s",
                           "namespace": "monitoring", "rule_group": f"/etc/prometheus/rules/{self.ns_of[w]}.yaml"})

    def depends_on(self, coverage: float) -> dict[str, list[str]]:
        """Return the operator's declared graph: workloads on the workloads they call, each entry with a chance."""
        deps = {w: [c for c in cs if self.rng.random() < coverage] for w, cs in self.calls.items()}
        return {w: cs for w, cs in deps.items() if cs}


def holdout11_knobs(seed: int) -> tuple[Knobs, dict[str, Any]]:
    """Draw the style's knobs: the family's, and the cluster's (sizes, vocabulary, shares, wire, coverage)."""
    r = random.Random(f"knobs:{HOLDOUT11_STYLE}:{seed}")
    k = Knobs(services=0, shape="k8s-mesh", namespaces=0, clusters=1, hop_lag=(60.0, 240.0),
              incidents=r.randint(8, 16), duration_s=r.uniform(7200, 10800), concurrency=r.uniform(0.15, 0.45),
              recurrence=r.uniform(0.1, 0.3), flap=0.0, dup=r.uniform(0.05, 0.3), noise=r.uniform(0.3, 1.2),
              label_reuse=0.0, spread=0.0)
    vocab = {"cluster": r.choice(["prod-eu-1", "prod-us-2"]) if r.random() < 0.35 else "",
             "replicas": r.random() < 0.5, "fqdn": r.random() < 0.5, "per_edge": r.random() < 0.5,
             "reporter": r.choice(["source", "destination"]), "sloth": r.random() < 0.5, "aws": r.random() < 0.5,
             "issuer": r.choice(["letsencrypt-prod", "internal-ca"]),
             "ksm_ip": f"10.0.{r.randint(1, 250)}.{r.randint(1, 250)}:8080"}
    group_by = r.choice([("namespace",), ("alertname", "namespace"), ("alertname",), ("cluster", "namespace")])
    extra = {"namespaces": r.randint(3, 7), "nodes": r.randint(4, 12), "vocab": vocab,
             "shares": [r.uniform(0.3, 0.45), r.uniform(0.1, 0.25), r.uniform(0.1, 0.2), r.uniform(0.15, 0.3)],
             "recurring": r.randint(2, 4), "coverage": r.uniform(0.3, 1.0),
             "group_by": group_by, "group_interval": r.uniform(60, 300)}
    return k, extra


def holdout11_storm(seed: int) -> Storm:
    """Generate one storm of the eleventh held-out style (its depends_on is the operator's declared graph)."""
    k, x = holdout11_knobs(seed)
    rng = random.Random(f"{HOLDOUT11_STYLE}:{seed}")
    b = _MeshBuilder(rng, x)
    place_incidents(rng, k, lambda n, t0: b.incident(n, t0, x["shares"], k.recurrence), beside_s=300)
    b.recurring(x["recurring"], k.duration_s)
    b.noise(round(k.noise * k.incidents), k.duration_s)
    return Storm(HOLDOUT11_STYLE, seed, k, b.alerts, b.depends_on(x["coverage"]))


def mesh_deliveries(storm: Storm) -> list[Delivery]:
    """Return the storm's Alertmanager deliveries: its grouping, group_wait 30 s, then its group_interval."""
    _, x = holdout11_knobs(storm.seed)
    return am_timed_deliveries(storm, x["group_by"], x["group_interval"],
                               ("destination_workload", "deployment", "pod", "node", "name", "instance"))
