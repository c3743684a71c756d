"""The tenth held-out storm style: written before the generalization work of issue #20's tenth session, scored once at its end.

An ML serving platform on GPUs ("ml-serving"): 5-14 models served behind 2-6 inference endpoints, their
replicas on GPU nodes in 1-3 node pools, reading features from 1-2 online feature stores. Alerts are
what the usual exporters give:

* the model server (Triton / KServe style, by recording rules): the model in `model_name` or `model`
  (per storm), its `model_version`, `team` (recsys, search-ranking, fraud, ml-platform), `framework`;
  per storm either per replica (`instance=<pod ip>:8002`, `pod`-less) or aggregated (no `instance`);
* the inference gateway: `endpoint=<name>` and `gateway` (`istio-ingress` or `envoy-gw`), `route`
  to one of the models it serves;
* NVIDIA's DCGM exporter, one per GPU node (`job="dcgm-exporter"`, `instance=<node ip>:9400`): `gpu`
  index, `UUID`, `Hostname=<node>` (capital H, as DCGM writes it), `modelName` (the GPU's type);
* the cluster autoscaler and scheduler: the pool in `node_pool`, `nodepool` or `agentpool` (per storm),
  `accelerator`;
* the feature store (Feast style): `feature_store=<name>`, `feature_view`, `project`.

No `service`, `namespace`, `cluster`, `node`, `host`, zone or rack. Kinds of trouble:

* **a GPU node failing** (XID errors, ECC, fallen off the bus): DCGM's alert on 1-2 of its GPUs, then the
  models with a replica there slow and erroring (1-5 minutes), their endpoints' errors (2-6 minutes),
  sometimes the pool's pending GPU pods (4-10 minutes);
* **a node pool saturated by a traffic surge** (the slow cascade): the models on the pool queueing one after
  another over 8-20 minutes, the autoscaler failing to scale up, pending pods, the endpoints' latency;
* a feature store degraded: its latency or error alert, its views' freshness, then the models reading it
  slow in preprocessing (1-8 minutes) and their endpoints;
* a bad model rollout: the new version's error rate and prediction drift, its endpoint's errors;
* 2-4 noisy recurring alerts (a hot GPU, a stale feature view, a drift detector) each firing its own
  incident every 15-45 minutes; one-off noise; whole incidents recurring 6-25 minutes after they end.

Delivery is Alertmanager's with its timers (family_holdout7_wire.am_timed_deliveries): per storm grouped
by (alertname), (alertname, team), (team) or (alertname, <pool label>), group_wait 30 s, group_interval
60-300 s; an HA pair re-sends some. The declared graph (endpoints on their models, models on their
feature store, 30-100% of the entries) names endpoints, models and feature stores. The fit
(family_fit.py) never reads this module.
"""

from __future__ import annotations

import random
from typing import Any

from engine.lab.alerts.family import Knobs, Storm, place_incidents
from engine.lab.alerts.family_book import AlertBook, Plan
from engine.lab.alerts.family_holdout7_wire import am_timed_deliveries
from engine.lab.alerts.family_wire import Delivery

HOLDOUT10_STYLE = "ml-serving"
XID, ECC, GPU_HOT = "GPUXidErrors", "GPUDoubleBitECCErrors", "GPUTemperatureHigh"
INF_LATENCY, INF_ERRORS, QUEUE = "InferenceLatencyHigh", "InferenceErrorRateHigh", "InferenceQueueDepthHigh"
PREPROC, DRIFT = "PreprocessLatencyHigh", "PredictionDriftDetected"
EP_ERRORS, EP_LATENCY = "EndpointErrorRateHigh", "EndpointLatencyHigh"
PENDING, SCALE_FAIL = "GPUPodsPending", "NodePoolScaleUpFailed"
FS_LATENCY, FS_ERRORS, FS_STALE = "FeatureStoreLatencyHigh", "FeatureStoreErrorsHigh", "FeatureViewStale"
MIN_SPAN_S = 300.0
MODELS = ["ranker-v", "ctr-predict", "fraud-score", "embed-text", "embed-image", "llm-chat", "llm-summarize",
          "reranker", "asr-whisper", "ocr-doc", "churn-risk", "eta-predict", "search-intent", "moderation"]
TEAMS = ["recsys", "search-ranking", "fraud", "ml-platform"]
ENDPOINTS = ["recommend", "score", "embed", "chat", "transcribe", "classify", "search"]
POOLS = ["a100-pool", "l4-pool", "h100-pool"]
GPU_TYPES = {"a100-pool": "NVIDIA A100-SXM4-80GB", "l4-pool": "NVIDIA L4", "h100-pool": "NVIDIA H100 80GB HBM3"}
STORES = ["online-redis", "online-dynamo"]
FRAMEWORKS = ["pytorch", "onnx", "tensorrt", "vllm"]


class _ServingBuilder(AlertBook):
    """Models, endpoints, GPU nodes, pools, feature stores; incidents as alerts with truth."""

    def __init__(self, rng: random.Random, x: dict[str, Any]) -> None:
        super().__init__(rng, MIN_SPAN_S)
        self.v: dict[str, Any] = x["vocab"]
        self.models = rng.sample(MODELS, x["models"])
        teams = rng.sample(TEAMS, rng.randint(2, 4))
        self.team = {m: rng.choice(teams) for m in self.models}
        self.version = {m: f"v{rng.randint(3, 40)}" for m in self.models}
        self.framework = {m: rng.choice(FRAMEWORKS) for m in self.models}
        self.pools = POOLS[:x["pools"]]
        self.pool_of = {m: rng.choice(self.pools) for m in self.models}
        self.nodes = {p: [f"gke-ml-{p.split('-')[0]}-{rng.randrange(16**4):04x}" for _ in range(rng.randint(2, 5))]
                      for p in self.pools}
        self.ip = {n: f"10.8.{i // 200}.{i % 200 + 10}" for i, n in
                   enumerate(sorted(n for ns in self.nodes.values() for n in ns))}
        # a model's replicas: 1-3 nodes of its pool, so a node failing hits several models
        self.replicas = {m: rng.sample(self.nodes[self.pool_of[m]], rng.randint(1, min(3, len(self.nodes[self.pool_of[m]]))))
                         for m in self.models}
        self.stores = STORES[:x["stores"]]
        self.store_of = {m: rng.choice(self.stores) for m in self.models if rng.random() < 0.7}
        self.views = {m: f"{m.split('-')[0]}_features" for m in self.store_of}
        eps = rng.sample(ENDPOINTS, x["endpoints"])
        self.endpoint_of = {m: rng.choice(eps) for m in self.models}

    # Labels, as each source writes them.
    def model(self, name: str, m: str, sev: str, node: str | None = None) -> dict[str, str]:
        out = {"alertname": name, "severity": sev, self.v["model"]: m, "model_version": self.version[m],
               "team": self.team[m], "framework": self.framework[m]}
        if self.v["per_replica"]:
            node = node if node in self.replicas[m] else self.replicas[m][0]
            out["instance"] = f"10.64.{self.models.index(m)}.{self.replicas[m].index(node) + 20}:8002"
        return out

    def endpoint(self, name: str, m: str, sev: str = "critical") -> dict[str, str]:
        return {"alertname": name, "severity": sev, "endpoint": self.endpoint_of[m], "gateway": self.v["gateway"],
                "route": f"/v2/models/{m}/infer", "team": "ml-platform"}

    def gpu(self, name: str, node: str, idx: int, sev: str = "critical") -> dict[str, str]:
        pool = next(p for p, ns in self.nodes.items() if node in ns)
        return {"alertname": name, "severity": sev, "job": "dcgm-exporter", "instance": f"{self.ip[node]}:9400",
                "gpu": str(idx), "UUID": f"GPU-{self.ip[node].replace('.', '')}-{idx}", "Hostname": node, "modelName": GPU_TYPES[pool],
                "team": "ml-platform"}

    def pool(self, name: str, pool: str, sev: str = "warning") -> dict[str, str]:
        return {"alertname": name, "severity": sev, self.v["pool"]: pool, "accelerator": GPU_TYPES[pool],
                "job": "cluster-autoscaler", "team": "ml-platform"}

    def store(self, name: str, st: str, view: str | None = None, sev: str = "warning") -> dict[str, str]:
        out = {"alertname": name, "severity": sev, "feature_store": st, "project": "prod_features",
               "team": "ml-platform"}
        if view is not None:
            out["feature_view"] = view
        return out

    # Kinds of trouble.
    def gpu_node_failing(self, t0: float) -> tuple[Plan, float]:
        """Plan a GPU node failing: DCGM on 1-2 GPUs, its models slow and erroring, their endpoints, pending pods."""
        rng = self.rng
        pool = rng.choice(self.pools)
        node = rng.choice(self.nodes[pool])
        name = rng.choice([XID, ECC])
        plan: Plan = [(self.gpu(name, node, i), t0 + rng.uniform(0, 30)) for i in rng.sample(range(8), rng.randint(1, 2))]
        hit = [m for m in self.models if node in self.replicas[m]] or [rng.choice(self.models)]
        for m in hit:
            plan.append((self.model(INF_LATENCY, m, "warning", node), t0 + rng.uniform(60, 300)))
            if rng.random() < 0.7:
                plan.append((self.model(INF_ERRORS, m, "critical", node), t0 + rng.uniform(90, 300)))
            if rng.random() < 0.6:
                plan.append((self.endpoint(EP_ERRORS, m), t0 + rng.uniform(120, 360)))
        if rng.random() < 0.5:
            plan.append((self.pool(PENDING, pool), t0 + rng.uniform(240, 600)))
        return plan, t0 + rng.uniform(900, 2400)

    def pool_saturated(self, t0: float) -> tuple[Plan, float]:
        """Plan a node pool saturated by a surge: its models queueing over 8-20 minutes, scale-up failing, endpoints."""
        rng = self.rng
        pool = rng.choice(self.pools)
        on = [m for m in self.models if self.pool_of[m] == pool] or [rng.choice(self.models)]
        span = rng.uniform(480, 1200)
        plan: Plan = [(self.pool(SCALE_FAIL, pool, "critical"), t0 + rng.uniform(0, 0.3) * span)]
        if rng.random() < 0.7:
            plan.append((self.pool(PENDING, pool), t0 + rng.uniform(0.1, 0.5) * span))
        for m in on:
            tq = t0 + rng.uniform(0.0, 1.0) * span
            plan.append((self.model(QUEUE, m, "warning"), tq))
            if rng.random() < 0.6:
                plan.append((self.model(INF_LATENCY, m, "warning"), tq + rng.uniform(30, 240)))
            if rng.random() < 0.4:
                plan.append((self.endpoint(EP_LATENCY, m, "warning"), tq + rng.uniform(60, 300)))
        return plan, t0 + span + rng.uniform(300, 1200)

    def store_degraded(self, t0: float) -> tuple[Plan, float]:
        """Plan a feature store degraded: its alert, its views stale, its readers' preprocessing slow, endpoints."""
        rng = self.rng
        st = rng.choice(self.stores)
        readers = sorted(m for m, s in self.store_of.items() if s == st) or [rng.choice(self.models)]
        plan: Plan = [(self.store(rng.choice([FS_LATENCY, FS_ERRORS]), st, sev="critical"), t0)]
        for m in readers:
            if m in self.views and rng.random() < 0.4:
                plan.append((self.store(FS_STALE, st, self.views[m]), t0 + rng.uniform(120, 600)))
            plan.append((self.model(PREPROC, m, "warning"), t0 + rng.uniform(60, 480)))
            if rng.random() < 0.5:
                plan.append((self.endpoint(EP_LATENCY, m, "warning"), t0 + rng.uniform(180, 600)))
        return plan, t0 + rng.uniform(900, 2400)

    def bad_rollout(self, t0: float) -> tuple[Plan, float]:
        """Plan a bad model rollout: the new version erroring and drifting, its endpoint's errors."""
        rng = self.rng
        m = rng.choice(self.models)
        self.version[m] = f"v{int(self.version[m][1:]) + 1}"  # a new version: new label values from now on
        plan: Plan = [(self.model(INF_ERRORS, m, "critical", node), t0 + rng.uniform(0, 120))
                      for node in (self.replicas[m] if self.v["per_replica"] else self.replicas[m][:1])]
        if rng.random() < 0.6:
            plan.append((self.model(DRIFT, m, "warning"), t0 + rng.uniform(120, 600)))
        plan.append((self.endpoint(EP_ERRORS, m), t0 + rng.uniform(60, 300)))
        return plan, t0 + rng.uniform(600, 1800)  # until the rollback

    def incident(self, n: int, t0: float, shares: list[float], recurrence: float) -> None:
        """Add incident n of one kind at t0, and maybe its recurrences."""
        self.place(n, t0, [self.gpu_node_failing, self.pool_saturated, self.store_degraded, self.bad_rollout], shares, recurrence)

    def _noise_alert(self) -> dict[str, str]:
        rng = self.rng
        x = rng.random()
        if x < 0.3:
            pool = rng.choice(self.pools)
            return self.gpu(GPU_HOT, rng.choice(self.nodes[pool]), rng.randrange(8), "warning")
        if x < 0.5 and self.views:
            m = rng.choice(sorted(self.views))
            return self.store(FS_STALE, self.store_of[m], self.views[m])
        if x < 0.7:
            return self.model(DRIFT, rng.choice(self.models), "warning")
        if x < 0.85:
            return self.model(INF_LATENCY, rng.choice(self.models), "warning")
        return self.endpoint(EP_LATENCY, rng.choice(self.models), "warning")

    def depends_on(self, coverage: float) -> dict[str, list[str]]:
        """Return the operator's declared graph: endpoints on their models, models on their feature store."""
        deps: dict[str, list[str]] = {}
        for m in self.models:
            if self.rng.random() < coverage:
                deps.setdefault(self.endpoint_of[m], []).append(m)
            if m in self.store_of and self.rng.random() < coverage:
                deps[m] = [self.store_of[m]]
        return {k: sorted(set(v)) for k, v in deps.items()}


def holdout10_knobs(seed: int) -> tuple[Knobs, dict[str, Any]]:
    """Draw the style's knobs: the family's, and the platform's (sizes, vocabulary, shares, wire, coverage)."""
    r = random.Random(f"knobs:{HOLDOUT10_STYLE}:{seed}")
    k = Knobs(services=0, shape="ml-serving", namespaces=0, clusters=1, hop_lag=(60.0, 1200.0),
              incidents=r.randint(8, 16), duration_s=r.uniform(7200, 10800), concurrency=r.uniform(0.15, 0.45),
              recurrence=r.uniform(0.1, 0.3), flap=0.0, dup=r.uniform(0.05, 0.3), noise=r.uniform(0.3, 1.2),
              label_reuse=0.0, spread=0.0)
    pool_label = r.choice(["node_pool", "nodepool", "agentpool"])
    vocab = {"model": r.choice(["model_name", "model"]), "pool": pool_label, "per_replica": r.random() < 0.5,
             "gateway": r.choice(["istio-ingress", "envoy-gw"])}
    extra = {"models": r.randint(5, 14), "pools": r.randint(1, 3), "stores": r.randint(1, 2),
             "endpoints": r.randint(2, 6), "vocab": vocab,
             "shares": [r.uniform(0.25, 0.4), r.uniform(0.15, 0.3), r.uniform(0.15, 0.3), r.uniform(0.1, 0.2)],
             "recurring": r.randint(2, 4), "coverage": r.uniform(0.3, 1.0),
             "group_by": r.choice([("alertname",), ("alertname", "team"), ("team",), ("alertname", pool_label)]),
             "group_interval": r.uniform(60, 300)}
    return k, extra


def holdout10_storm(seed: int) -> Storm:
    """Generate one storm of the tenth held-out style (its depends_on is the operator's declared graph)."""
    k, x = holdout10_knobs(seed)
    rng = random.Random(f"{HOLDOUT10_STYLE}:{seed}")
    b = _ServingBuilder(rng, x)
    place_incidents(rng, k, lambda n, t0: b.incident(n, t0, x["shares"], k.recurrence), beside_s=300)
    b.recurring(x["recurring"], k.duration_s)
    b.noise(round(k.noise * k.incidents), k.duration_s)
    return Storm(HOLDOUT10_STYLE, seed, k, b.alerts, b.depends_on(x["coverage"]))


def serving_deliveries(storm: Storm) -> list[Delivery]:
    """Return the storm's Alertmanager deliveries: its grouping, group_wait 30 s, then its group_interval."""
    _, x = holdout10_knobs(storm.seed)
    return am_timed_deliveries(storm, x["group_by"], x["group_interval"],
                               ("model_name", "model", "endpoint", "Hostname", "feature_store", "node_pool",
                                "nodepool", "agentpool"))
