"""The ninth held-out storm style: written before the generalization work of issue #20's ninth session, scored once at its end.

A SaaS application ("saas-app") of 4-10 components (web, api, auth, billing, workers...) owned by 2-4 teams,
monitored the way a small product company monitors it:

* APM (traces turned into metrics, alerted by Prometheus rules): `component=<name>`, `team`, `env`, the
  endpoint or operation in `operation` (per storm, or `route`), and `service=<name>` only on the components
  whose team added it (per storm 0-80% of the components): partial `service` use;
* synthetic checks (a SaaS prober): `check=<user flow>` (`login-flow`, `checkout-flow`, ...), `check_type`
  (`browser` or `api`), the probing `location` (1-4 of them), `team`; each flow exercises 1-3 components;
* the managed database and cache, read by a cloud metrics exporter (one `instance` for everything):
  AWS-style (`job="cloudwatch"`, `dbinstance_identifier`, `cache_cluster_id`) or GCP-style
  (`job="stackdriver"`, `database_id="<project>:<db>"`, `redis_instance`), `region`, `team="platform"`;
* queue workers' backlog (`queue=<name>`, `component=<worker>`), and SLO burn-rate alerts (`slo=<flow>`,
  `team`, `window`).

No `namespace`, `cluster`, node, host, zone or rack. Kinds of trouble:

* **a shared managed database degrading** (the cascade this style is about): its CPU or connections alert,
  then the components reading it slow (1-6 minutes), erroring (3-12 minutes), the synthetic checks whose
  flows touch them failing from most locations (4-15 minutes), the workers' queues backing up (6-18
  minutes) and the SLO burn alerts (10-20 minutes): one incident spread over 10-20 minutes;
* the cache evicting or down: its alert, then 1-3 of its readers slow within 1-5 minutes;
* a bad deploy of one component: its error rate on 1-3 operations, its callers' errors 1-5 minutes later,
  the checks of flows through it, sometimes its SLO burn;
* a third-party API degraded (payments, email, SMS): `ExternalCallErrors` with `peer_service` on each
  component calling it, within 0-4 minutes;
* 2-4 noisy recurring alerts (a flaky check from one location, a worker's backlog at night, storage
  warnings) each firing its own incident every 15-45 minutes; one-off noise; whole incidents recurring
  6-25 minutes after they end.

Delivery is Alertmanager's with its timers (family_holdout7_wire.am_timed_deliveries): per storm grouped by
(alertname, team), (team), (alertname) or (alertname, component), group_wait 30 s, group_interval 60-300 s;
an HA pair re-sends some. The declared graph (components on the components and database they call, 30-100%
of the entries) names components and databases. The fit (family_fit.py) never reads this module.
"""

from __future__ import annotations

import random
from typing import Any

from engine.lab.alerts.family_book import AlertBook, Plan
from engine.lab.alerts.family import Knobs, Storm, place_incidents
from engine.lab.alerts.family_holdout7_wire import am_timed_deliveries
from engine.lab.alerts.family_wire import Delivery

HOLDOUT9_STYLE = "saas-app"
LATENCY, ERRORS, CHECK_FAILED = "APMLatencyHigh", "APMErrorRateHigh", "SyntheticCheckFailed"
DB_CPU, DB_CONN, DB_STORAGE = "ManagedDBCPUHigh", "ManagedDBConnectionsSaturated", "ManagedDBStorageLow"
CACHE_EVICT, BACKLOG, SLO_BURN, EXTERNAL = "CacheEvictionsHigh", "QueueBacklogGrowing", "SLOBurnRateHigh", \
    "ExternalCallErrors"
MIN_SPAN_S = 300.0
COMPONENTS = ["web", "api", "auth", "billing", "search", "notifications", "reports", "webhooks", "uploads",
              "admin", "graphql", "sessions"]
TEAMS = ["growth", "core", "payments", "identity"]
FLOWS = ["login-flow", "signup-flow", "checkout-flow", "search-flow", "api-health", "upload-flow", "export-flow"]
LOCATIONS = ["aws:us-east-1", "aws:eu-west-1", "gcp:asia-east1", "azure:westeurope"]
VENDORS = ["stripe", "sendgrid", "twilio", "github"]
DBS = ["app-main", "billing-db", "analytics-ro"]



class _SaasBuilder(AlertBook):
    """Components, flows, databases, workers; incidents as alerts with truth; one cause per alert at a time."""

    def __init__(self, rng: random.Random, x: dict[str, Any]) -> None:
        super().__init__(rng, MIN_SPAN_S)
        self.v: dict[str, Any] = x["vocab"]
        self.comps = rng.sample(COMPONENTS, x["components"])
        teams = rng.sample(TEAMS, rng.randint(2, 4))
        self.team = {c: rng.choice(teams) for c in self.comps}
        self.tagged = {c for c in self.comps if rng.random() < x["service_share"]}  # teams that add `service`
        self.dbs = DBS[:x["dbs"]]
        self.db_of = {c: rng.choice(self.dbs) for c in self.comps if rng.random() < 0.8}
        self.cache_readers = rng.sample(self.comps, rng.randint(1, max(1, len(self.comps) // 2)))
        # calls go down the list (web -> api -> ...), so the declared graph has no cycle
        self.calls = {c: rng.sample(self.comps[i + 1:], rng.randint(0, min(2, len(self.comps) - i - 1)))
                      for i, c in enumerate(self.comps)}
        self.flows = {f: rng.sample(self.comps, rng.randint(1, min(3, len(self.comps))))
                      for f in rng.sample(FLOWS, x["flows"])}
        self.workers = {c: f"{c}-worker" for c in rng.sample(self.comps, rng.randint(1, min(3, len(self.comps))))}
        self.vendors = {v: rng.sample(self.comps, rng.randint(1, min(3, len(self.comps))))
                        for v in rng.sample(VENDORS, 2)}
        self.ops = {c: [f"{m} /{c}/{p}" for m, p in rng.sample([("GET", "list"), ("POST", "create"), ("GET", "show"),
                                                               ("PUT", "update"), ("POST", "batch")], 3)]
                    for c in self.comps}
        self.locations = LOCATIONS[:x["locations"]]

    # Labels, as each source writes them.
    def apm(self, name: str, comp: str, op: str | None, sev: str) -> dict[str, str]:
        out = {"alertname": name, "severity": sev, "team": self.team[comp], "component": comp, "env": "production"}
        if op is not None:
            out[self.v["op"]] = op
        if comp in self.tagged:
            out["service"] = comp
        return out

    def check(self, flow: str, loc: str, sev: str = "critical") -> dict[str, str]:
        owner = self.team[self.flows[flow][0]]
        out = {"alertname": self.v["check_name"], "severity": sev, "team": owner, "check": flow,
               "check_type": "browser" if flow.endswith("-flow") else "api"}
        if len(self.locations) > 1:
            out["location"] = loc
        return out

    def cloud(self, name: str, db: str | None, cache: bool = False, sev: str = "critical") -> dict[str, str]:
        aws = self.v["cloud"] == "aws"
        out = {"alertname": name, "severity": sev, "team": "platform",
               "job": "cloudwatch" if aws else "stackdriver",
               "instance": "yace-exporter:5000" if aws else "stackdriver-exporter:9255",
               "region": "us-east-1" if aws else "us-central1"}
        if cache:
            out["cache_cluster_id" if aws else "redis_instance"] = "sessions-cache"
        elif db is not None:
            out.update({"dbinstance_identifier": db} if aws else {"database_id": f"acme-prod:{db}"})
        return out

    def backlog(self, comp: str, sev: str = "warning") -> dict[str, str]:
        w = self.workers[comp]
        out = {"alertname": BACKLOG, "severity": sev, "team": self.team[comp], "component": w,
               "queue": f"{comp}-jobs", "env": "production"}
        if comp in self.tagged:
            out["service"] = w
        return out

    def slo(self, flow: str, window: str = "1h") -> dict[str, str]:
        return {"alertname": SLO_BURN, "severity": "critical", "team": self.team[self.flows[flow][0]],
                "slo": f"{flow}-availability", "window": window}

    def _flows_through(self, comps: set[str]) -> list[str]:
        return [f for f, cs in self.flows.items() if comps & set(cs)]

    def _callers(self, comps: set[str]) -> set[str]:
        return {c for c, ds in self.calls.items() if comps & set(ds)} - comps

    # Kinds of trouble.
    def db_degraded(self, t0: float) -> tuple[Plan, float]:
        """Plan a shared managed database degrading: readers slow, erroring, checks, backlogs, SLO burn over 10-20 min."""
        rng = self.rng
        db = rng.choice(sorted(set(self.db_of.values()) or set(self.dbs)))
        readers = {c for c, d in self.db_of.items() if d == db} or {rng.choice(self.comps)}
        plan: Plan = [(self.cloud(rng.choice([DB_CPU, DB_CONN]), db), t0)]
        if rng.random() < 0.4:
            plan.append((self.cloud(DB_CONN if plan[0][0]["alertname"] == DB_CPU else DB_CPU, db), t0 + rng.uniform(30, 240)))
        span = rng.uniform(600, 1200)  # how long the cascade takes to reach everything
        for c in sorted(readers):  # sets iterate by string hash: sorted, so a seed is one storm in every process
            for op in rng.sample(self.ops[c], rng.randint(1, 3)):
                plan.append((self.apm(LATENCY, c, op, "warning"), t0 + rng.uniform(60, 360) * span / 1200))
                if rng.random() < 0.7:
                    plan.append((self.apm(ERRORS, c, op, "critical"), t0 + rng.uniform(180, 720) * span / 1200))
            if c in self.workers and rng.random() < 0.8:
                plan.append((self.backlog(c), t0 + rng.uniform(360, 1080) * span / 1200))
        for c in sorted(self._callers(readers)):
            if rng.random() < 0.5:
                plan.append((self.apm(ERRORS, c, rng.choice(self.ops[c]), "warning"),
                             t0 + rng.uniform(300, 900) * span / 1200))
        for f in self._flows_through(readers):
            for loc in rng.sample(self.locations, max(1, round(len(self.locations) * rng.uniform(0.5, 1.0)))):
                plan.append((self.check(f, loc), t0 + rng.uniform(240, 900) * span / 1200))
            if rng.random() < 0.6:
                plan.append((self.slo(f), t0 + rng.uniform(600, 1200) * span / 1200))
        return plan, t0 + span + rng.uniform(300, 1500)

    def cache_trouble(self, t0: float) -> tuple[Plan, float]:
        """Plan the cache evicting or down: its alert, then 1-3 of its readers slow."""
        rng = self.rng
        plan: Plan = [(self.cloud(CACHE_EVICT, None, cache=True, sev="warning"), t0)]
        for c in rng.sample(self.cache_readers, rng.randint(1, min(3, len(self.cache_readers)))):
            plan.append((self.apm(LATENCY, c, rng.choice(self.ops[c]), "warning"), t0 + rng.uniform(60, 300)))
        return plan, t0 + rng.uniform(600, 1800)

    def bad_deploy(self, t0: float) -> tuple[Plan, float]:
        """Plan a bad deploy of one component: its errors, its callers' errors, its flows' checks, maybe SLO burn."""
        rng = self.rng
        c = rng.choice(self.comps)
        plan: Plan = [(self.apm(ERRORS, c, op, "critical"), t0 + rng.uniform(0, 60))
                      for op in rng.sample(self.ops[c], rng.randint(1, 3))]
        for d in sorted(self._callers({c})):
            if rng.random() < 0.6:
                plan.append((self.apm(ERRORS, d, rng.choice(self.ops[d]), "warning"), t0 + rng.uniform(60, 300)))
        for f in self._flows_through({c}):
            for loc in rng.sample(self.locations, rng.randint(1, len(self.locations))):
                plan.append((self.check(f, loc), t0 + rng.uniform(60, 420)))
            if rng.random() < 0.3:
                plan.append((self.slo(f, "5m"), t0 + rng.uniform(300, 600)))
        return plan, t0 + rng.uniform(600, 1800)  # until the rollback

    def vendor_degraded(self, t0: float) -> tuple[Plan, float]:
        """Plan a third-party API degraded: ExternalCallErrors on each component calling it."""
        rng = self.rng
        v = rng.choice(sorted(self.vendors))
        plan: Plan = []
        for c in self.vendors[v]:
            lab = self.apm(EXTERNAL, c, None, "warning")
            lab["peer_service"] = f"api.{v}.com"
            plan.append((lab, t0 + rng.uniform(0, 240)))
        return plan, t0 + rng.uniform(900, 3000)

    def incident(self, n: int, t0: float, shares: list[float], recurrence: float) -> None:
        """Add incident n of one kind at t0, and maybe its recurrences."""
        self.place(n, t0, [self.db_degraded, self.cache_trouble, self.bad_deploy, self.vendor_degraded], shares, recurrence)

    def _noise_alert(self) -> dict[str, str]:
        rng = self.rng
        x = rng.random()
        if x < 0.35:
            return self.check(rng.choice(sorted(self.flows)), rng.choice(self.locations), "warning")
        if x < 0.55:
            c = rng.choice(self.comps)
            return self.apm(LATENCY, c, rng.choice(self.ops[c]), "warning")
        if x < 0.7:
            return self.backlog(rng.choice(sorted(self.workers)))
        if x < 0.85:
            return self.cloud(DB_STORAGE, rng.choice(self.dbs), sev="warning")
        c = rng.choice(self.comps)
        return self.apm(ERRORS, c, rng.choice(self.ops[c]), "warning")

    def depends_on(self, coverage: float) -> dict[str, list[str]]:
        """Return the operator's declared graph: components on those they call and on their database."""
        deps: dict[str, list[str]] = {}
        for c in self.comps:
            ups = [d for d in self.calls[c] if self.rng.random() < coverage]
            if c in self.db_of and self.rng.random() < coverage:
                ups.append(self.db_of[c])
            if ups:
                deps[c] = sorted(set(ups))
        return deps


def holdout9_knobs(seed: int) -> tuple[Knobs, dict[str, Any]]:
    """Draw the style's knobs: the family's, and the app's (sizes, vocabulary, shares, wire, coverage)."""
    r = random.Random(f"knobs:{HOLDOUT9_STYLE}:{seed}")
    k = Knobs(services=0, shape="saas", namespaces=0, clusters=1, hop_lag=(60.0, 1200.0),
              incidents=r.randint(8, 16), duration_s=r.uniform(7200, 10800), concurrency=r.uniform(0.15, 0.45),
              recurrence=r.uniform(0.1, 0.3), flap=0.0, dup=r.uniform(0.05, 0.3), noise=r.uniform(0.3, 1.2),
              label_reuse=0.0, spread=0.0)
    vocab = {"op": r.choice(["operation", "route"]), "cloud": r.choice(["aws", "gcp"]),
             "check_name": r.choice([CHECK_FAILED, "CheckDown", "UptimeCheckFailing"])}
    extra = {"components": r.randint(4, 10), "dbs": r.randint(1, 3), "flows": r.randint(2, 6),
             "locations": r.randint(1, 4), "service_share": r.choice([0.0, r.uniform(0.2, 0.8)]), "vocab": vocab,
             "shares": [r.uniform(0.3, 0.5), r.uniform(0.1, 0.2), r.uniform(0.2, 0.35), r.uniform(0.05, 0.15)],
             "recurring": r.randint(2, 4), "coverage": r.uniform(0.3, 1.0),
             "group_by": r.choice([("alertname", "team"), ("team",), ("alertname",), ("alertname", "component")]),
             "group_interval": r.uniform(60, 300)}
    return k, extra


def holdout9_storm(seed: int) -> Storm:
    """Generate one storm of the ninth held-out style (its depends_on is the operator's declared graph)."""
    k, x = holdout9_knobs(seed)
    rng = random.Random(f"{HOLDOUT9_STYLE}:{seed}")
    b = _SaasBuilder(rng, x)
    place_incidents(rng, k, lambda n, t0: b.incident(n, t0, x["shares"], k.recurrence), beside_s=300)
    b.recurring(x["recurring"], k.duration_s)
    b.noise(round(k.noise * k.incidents), k.duration_s)
    return Storm(HOLDOUT9_STYLE, seed, k, b.alerts, b.depends_on(x["coverage"]))


def saas_deliveries(storm: Storm) -> list[Delivery]:
    """Return the storm's Alertmanager deliveries: its grouping, group_wait 30 s, then its group_interval."""
    _, x = holdout9_knobs(storm.seed)
    return am_timed_deliveries(storm, x["group_by"], x["group_interval"],
                               ("check", "component", "dbinstance_identifier", "database_id", "slo", "instance"))
