"""The twelfth held-out storm style: written before the generalization work of issue #20's twelfth session, scored once at its end.

A multi-tenant B2B SaaS in cells ("tenant-cells"): 2-6 cells, each a full copy of the stack (api, worker,
search, a PostgreSQL shard and its replicas, a job queue), 15-60 tenants each pinned to one cell, and global
services in front of and beside the cells (the edge router that sends a tenant to its cell, the identity
provider for SSO, billing). Tenant labels dominate: most alerts are per-tenant rules.

* per-tenant rules (Prometheus over per-tenant request metrics): the tenant in `tenant`, `tenant_id`,
  `org_id` or `customer` (per storm), its `plan` (enterprise / pro / free), its cell, `env="prod"`, and in
  some storms the component (`app="api"`): `TenantErrorRateHigh`, `TenantLatencyHigh`, `TenantSyncBacklog`,
  `TenantSSOLoginFailures`, `TenantWebhookDeliveryFailing`, `TenantRateLimited`;
* the cell's components: the cell in `cell` or (a Kubernetes cluster per cell) `cluster`, the component in
  `service` (half the storms) or `component`, `namespace="app"`, `job`; PostgreSQL's exporter: `shard`,
  `instance=pg-<cell>-<i>:9187`, `role`; the queue (RabbitMQ): `queue`, `vhost=<cell>`;
* global: the router (`service` or `component` = `edge-router`, the failing cell's name in `upstream_cell`),
  the identity provider (`idp="okta"` or `"azure-ad"`, `job="idp-probe"`), billing.

No node, host, zone or rack. Kinds of trouble:

* **a shard failing** (replication lag, then connections saturated on the primary): 30-120 s later the cell's
  api and worker errors, then over 1-5 minutes 20-70% of the cell's tenants' error or latency rules, the
  queue's backlog, and the router's errors to that cell;
* **a noisy neighbour**: one tenant rate limited, 1-3 minutes later the cell's latency and 10-40% of its
  other tenants' latency rules, the search component saturated;
* **the identity provider failing**: its probe, then over 0-4 minutes the SSO failures of 30-80% of the
  enterprise tenants in every cell (one cause across cells);
* **a bad deploy wave**: the cell's api or worker errors and 20-60% of its tenants' error rules; in 40% of
  them the wave goes on to a second cell 4-10 minutes later with the same alerts there (still one cause);
* **one tenant's integration broken**: its webhook deliveries failing, its sync backlog 2-8 minutes later;
* 2-4 noisy recurring alerts (a tenant's rate limit, a free tenant's latency, a replica's lag) each firing
  its own incident every 15-45 minutes; one-off noise; whole incidents recurring 6-25 minutes after they end.

Delivery is Alertmanager's with its timers (family_holdout7_wire.am_timed_deliveries): per storm grouped by
(cell), (alertname, cell), (alertname) or (tenant), group_wait 30 s, group_interval 60-300 s; the HA pair
re-sends some. The declared graph is over components (router on api, api on postgres / queue / search /
identity, worker on queue / postgres), 30-100% of the entries. The fit (family_fit.py) never reads this module.
"""

from __future__ import annotations

import random
from typing import Any

from engine.lab.alerts.family import Knobs, Storm, place_incidents
from engine.lab.alerts.family_book import AlertBook, Plan
from engine.lab.alerts.family_holdout7_wire import am_timed_deliveries
from engine.lab.alerts.family_wire import Delivery

HOLDOUT12_STYLE = "tenant-cells"
T_ERR, T_LAT, T_SYNC, T_SSO = "TenantErrorRateHigh", "TenantLatencyHigh", "TenantSyncBacklog", "TenantSSOLoginFailures"
T_HOOK, T_LIMIT = "TenantWebhookDeliveryFailing", "TenantRateLimited"
C_ERR, C_LAT, C_SAT = "CellComponentErrorRate", "CellComponentLatencyHigh", "CellComponentSaturated"
PG_LAG, PG_CONN = "PostgresReplicationLagHigh", "PostgresConnectionsSaturated"
Q_BACKLOG, ROUTER_ERR, IDP_DOWN, BILLING = "RabbitMQQueueBacklog", "EdgeRouterUpstreamErrors", "IdPProbeFailing", \
    "BillingSyncFailing"
MIN_SPAN_S = 300.0
REGIONS = ["eu-1", "eu-2", "us-1", "us-2", "us-3", "ap-1"]
WORDS = ["acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "wayne", "wonka", "tyrell",
         "cyberdyne", "soylent", "gringotts", "oscorp", "aperture", "massive", "dunder", "pied", "prestige",
         "monarch", "nakatomi", "virtucon", "zorg", "krusty", "duff", "bluth", "sterling", "pawnee", "hanso", "dharma"]
SUFFIX = ["corp", "inc", "labs", "group", "io", "co", "gmbh", "ltd"]
COMPONENTS = ["api", "worker", "search"]


class _CellsBuilder(AlertBook):
    """Cells, tenants, components, a shard and a queue per cell, global services; incidents with truth."""

    def __init__(self, rng: random.Random, x: dict[str, Any]) -> None:
        super().__init__(rng, MIN_SPAN_S)
        self.v: dict[str, Any] = x["vocab"]
        self.cells = [f"cell-{r}" for r in rng.sample(REGIONS, x["cells"])]
        names = sorted({f"{rng.choice(WORDS)}-{rng.choice(SUFFIX)}" for _ in range(x["tenants"])})
        self.tenants = names
        self.cell_of = {t: rng.choice(self.cells) for t in names}
        self.plan_of = {t: rng.choices(["enterprise", "pro", "free"], weights=[0.3, 0.4, 0.3])[0] for t in names}
        self.replicas = {c: rng.randint(1, 2) for c in self.cells}

    def in_cell(self, cell: str) -> list[str]:
        return [t for t in self.tenants if self.cell_of[t] == cell]

    # Labels, as each source writes them.
    def _base(self, name: str, sev: str) -> dict[str, str]:
        return {"alertname": name, "severity": sev, "env": "prod", "prometheus": "monitoring/prom"}

    def tenant(self, name: str, t: str, sev: str = "warning") -> dict[str, str]:
        out = self._base(name, sev) | {self.v["tenant_key"]: t, "plan": self.plan_of[t],
                                      self.v["cell_key"]: self.cell_of[t]}
        if self.v["tenant_app"]:
            out["app"] = "worker" if name in (T_SYNC, T_HOOK) else "api"
        return out

    def comp(self, name: str, cell: str, c: str, sev: str = "critical") -> dict[str, str]:
        return self._base(name, sev) | {self.v["comp_key"]: c, self.v["cell_key"]: cell, "namespace": "app",
                                        "job": c}

    def pg(self, name: str, cell: str, i: int, sev: str = "critical") -> dict[str, str]:
        return self._base(name, sev) | {"job": "postgres", "shard": f"pg-{cell}", "instance": f"pg-{cell}-{i}:9187",
                                        "role": "primary" if i == 0 else "replica", self.v["cell_key"]: cell}

    def queue(self, cell: str, sev: str = "warning") -> dict[str, str]:
        return self._base(Q_BACKLOG, sev) | {"job": "rabbitmq", "queue": "jobs", "vhost": cell,
                                             self.v["cell_key"]: cell}

    def router(self, cell: str, sev: str = "critical") -> dict[str, str]:
        return self._base(ROUTER_ERR, sev) | {self.v["comp_key"]: "edge-router", "upstream_cell": cell,
                                              "job": "edge-router"}

    def idp(self, sev: str = "critical") -> dict[str, str]:
        return self._base(IDP_DOWN, sev) | {"idp": self.v["idp"], "job": "idp-probe", self.v["comp_key"]: "identity"}

    def _tenants(self, plan: Plan, cell: str, share: tuple[float, float], names: list[str], t: float,
                 span: float) -> None:
        """Add per-tenant rules for a share of the cell's tenants, spread over span seconds after t."""
        rng = self.rng
        ts = self.in_cell(cell)
        for tn in rng.sample(ts, round(len(ts) * rng.uniform(*share))):
            plan.append((self.tenant(rng.choice(names), tn), t + rng.uniform(0, span)))

    # Kinds of trouble.
    def shard(self, t0: float) -> tuple[Plan, float]:
        """Plan a shard failing: lag and connections, the cell's api and worker, its tenants, queue, router."""
        rng = self.rng
        cell = rng.choice(self.cells)
        plan: Plan = [(self.pg(PG_LAG, cell, i), t0 + rng.uniform(0, 60)) for i in range(1, self.replicas[cell] + 1)]
        plan.append((self.pg(PG_CONN, cell, 0), t0 + rng.uniform(0, 90)))
        tc = t0 + rng.uniform(30, 120)
        for c in ("api", "worker"):
            plan.append((self.comp(C_ERR, cell, c), tc + rng.uniform(0, 60)))
        self._tenants(plan, cell, (0.2, 0.7), [T_ERR, T_LAT], tc + 30, rng.uniform(60, 300))
        if rng.random() < 0.7:
            plan.append((self.queue(cell), tc + rng.uniform(60, 300)))
        if rng.random() < 0.6:
            plan.append((self.router(cell), tc + rng.uniform(30, 180)))
        return plan, t0 + rng.uniform(1200, 3000)

    def neighbour(self, t0: float) -> tuple[Plan, float]:
        """Plan a noisy neighbour: one tenant rate limited, the cell's latency, other tenants' latency, search."""
        rng = self.rng
        cell = rng.choice(self.cells)
        loud = rng.choice(self.in_cell(cell) or self.tenants)
        cell = self.cell_of[loud]
        plan: Plan = [(self.tenant(T_LIMIT, loud, "info"), t0)]
        tl = t0 + rng.uniform(60, 180)
        plan.append((self.comp(C_LAT, cell, "api", "warning"), tl))
        if rng.random() < 0.6:
            plan.append((self.comp(C_SAT, cell, "search", "warning"), tl + rng.uniform(0, 120)))
        others = [t for t in self.in_cell(cell) if t != loud]
        for tn in rng.sample(others, round(len(others) * rng.uniform(0.1, 0.4))):
            plan.append((self.tenant(T_LAT, tn), tl + rng.uniform(0, 240)))
        return plan, t0 + rng.uniform(900, 2400)

    def identity(self, t0: float) -> tuple[Plan, float]:
        """Plan the identity provider failing: its probe, then SSO failures of enterprise tenants in every cell."""
        rng = self.rng
        plan: Plan = [(self.idp(), t0)]
        ent = [t for t in self.tenants if self.plan_of[t] == "enterprise"] or self.tenants[:3]
        for tn in rng.sample(ent, max(1, round(len(ent) * rng.uniform(0.3, 0.8)))):
            plan.append((self.tenant(T_SSO, tn, "critical"), t0 + rng.uniform(20, 240)))
        return plan, t0 + rng.uniform(900, 2400)

    def deploy(self, t0: float) -> tuple[Plan, float]:
        """Plan a bad deploy wave: a cell's component errors and its tenants, maybe the next cell minutes later."""
        rng = self.rng
        c = rng.choice(["api", "worker"])
        cells = rng.sample(self.cells, 2 if len(self.cells) > 1 and rng.random() < 0.4 else 1)
        plan: Plan = []
        t = t0
        for cell in cells:
            plan.append((self.comp(C_ERR, cell, c), t + rng.uniform(0, 60)))
            name = T_SYNC if c == "worker" else T_ERR
            self._tenants(plan, cell, (0.2, 0.6), [name], t + 30, rng.uniform(60, 240))
            t += rng.uniform(240, 600)
        return plan, t + rng.uniform(600, 1800)

    def integration(self, t0: float) -> tuple[Plan, float]:
        """Plan one tenant's integration broken: its webhook deliveries failing, then its sync backlog."""
        rng = self.rng
        tn = rng.choice(self.tenants)
        plan: Plan = [(self.tenant(T_HOOK, tn), t0), (self.tenant(T_SYNC, tn), t0 + rng.uniform(120, 480))]
        return plan, t0 + rng.uniform(900, 3000)

    def incident(self, n: int, t0: float, shares: list[float], recurrence: float) -> None:
        """Add incident n of one kind at t0, and maybe its recurrences."""
        self.place(n, t0, [self.shard, self.neighbour, self.identity, self.deploy, self.integration], shares,
                   recurrence)

    def _noise_alert(self) -> dict[str, str]:
        rng = self.rng
        x = rng.random()
        tn = rng.choice(self.tenants)
        if x < 0.3:
            return self.tenant(T_LIMIT, tn, "info")
        if x < 0.55:
            return self.tenant(T_LAT, tn)
        if x < 0.7:
            cell = rng.choice(self.cells)
            return self.pg(PG_LAG, cell, rng.randint(1, self.replicas[cell]), "warning")
        if x < 0.85:
            return self._base(BILLING, "warning") | {self.v["comp_key"]: "billing", "job": "billing",
                                                     self.v["tenant_key"]: tn}
        return self.comp(C_LAT, rng.choice(self.cells), rng.choice(COMPONENTS), "warning")

    def depends_on(self, coverage: float) -> dict[str, list[str]]:
        """Return the declared graph over components, each entry with a chance."""
        full = {"edge-router": ["api"], "api": ["postgres", "rabbitmq", "search", "identity"],
                "worker": ["rabbitmq", "postgres"], "billing": ["api"]}
        deps = {c: [d for d in ds if self.rng.random() < coverage] for c, ds in full.items()}
        return {c: ds for c, ds in deps.items() if ds}


def holdout12_knobs(seed: int) -> tuple[Knobs, dict[str, Any]]:
    """Draw the style's knobs: the family's, and the cells' (sizes, vocabulary, shares, wire, coverage)."""
    r = random.Random(f"knobs:{HOLDOUT12_STYLE}:{seed}")
    k = Knobs(services=0, shape="tenant-cells", namespaces=1, clusters=1, hop_lag=(30.0, 300.0),
              incidents=r.randint(8, 16), duration_s=r.uniform(7200, 10800), concurrency=r.uniform(0.15, 0.45),
              recurrence=r.uniform(0.1, 0.3), flap=0.0, dup=r.uniform(0.05, 0.3), noise=r.uniform(0.3, 1.2),
              label_reuse=0.0, spread=0.0)
    vocab = {"tenant_key": r.choice(["tenant", "tenant_id", "org_id", "customer"]),
             "cell_key": r.choice(["cell", "cluster"]), "comp_key": r.choice(["service", "component"]),
             "tenant_app": r.random() < 0.4, "idp": r.choice(["okta", "azure-ad"])}
    group_by = r.choice([("cell",), ("alertname", "cell"), ("alertname",), ("tenant",)])
    extra = {"cells": r.randint(2, 6), "tenants": r.randint(15, 60), "vocab": vocab,
             "shares": [r.uniform(0.15, 0.3), r.uniform(0.15, 0.3), r.uniform(0.05, 0.15), r.uniform(0.15, 0.3),
                        r.uniform(0.1, 0.25)],
             "recurring": r.randint(2, 4), "coverage": r.uniform(0.3, 1.0),
             "group_by": group_by, "group_interval": r.uniform(60, 300)}
    return k, extra


def holdout12_storm(seed: int) -> Storm:
    """Generate one storm of the twelfth held-out style (its depends_on is the operator's declared graph)."""
    k, x = holdout12_knobs(seed)
    rng = random.Random(f"{HOLDOUT12_STYLE}:{seed}")
    b = _CellsBuilder(rng, x)
    place_incidents(rng, k, lambda n, t0: b.incident(n, t0, x["shares"], k.recurrence), beside_s=300)
    b.recurring(x["recurring"], k.duration_s)
    b.noise(round(k.noise * k.incidents), k.duration_s)
    return Storm(HOLDOUT12_STYLE, seed, k, b.alerts, b.depends_on(x["coverage"]))


def tenant_deliveries(storm: Storm) -> list[Delivery]:
    """Return the storm's Alertmanager deliveries: its grouping, group_wait 30 s, then its group_interval."""
    _, x = holdout12_knobs(storm.seed)
    group_by = tuple(x["vocab"]["cell_key"] if g == "cell" else x["vocab"]["tenant_key"] if g == "tenant" else g
                     for g in x["group_by"])
    return am_timed_deliveries(storm, group_by, x["group_interval"],
                               (x["vocab"]["tenant_key"], "service", "component", "shard", "queue", "idp"))
