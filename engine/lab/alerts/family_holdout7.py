"""The seventh held-out storm style: written before the generalization work of issue #20's seventh session, scored once at its end.

A data platform ("data-platform"): PostgreSQL clusters (a primary and 1-3 streaming replicas, each
on its own machine) and batch pipelines (Airflow DAGs or generic ETL jobs) of 3-6 stages that read
from a database (its primary or a replica) and from upstream pipelines' datasets. Alerts are what
the usual exporters give:

* postgres_exporter: `job="postgres"`, `instance="<db>-<i>:9187"`, the database in `db` or, per
  storm, `datname`, and `role` (primary / replica);
* node_exporter on the database machines: `job="node"`, `instance="<db>-<i>:9100"`, no database;
* the scheduler's statsd exporter: `job="airflow"` (or `"etl"`), one `instance` for every pipeline
  (`airflow-statsd:9102`: the exporter, not where the task ran), the pipeline and stage in
  `dag_id` / `task_id` or, per storm, `pipeline` / `stage`; in a third of the storms also
  `service="airflow-scheduler"` (the Kubernetes service that exposes the metrics: one value for
  every pipeline);
* a freshness checker: `job="freshness"`, `dataset=<pipeline>_out`, its own single `instance`.

Every alert has `team` and `severity`; in 40% of the storms an `env` label, with a staging copy of
the same databases and pipelines whose incidents are their own. No `namespace`, `cluster`,
`service` (but the above), node, zone or rack. Six kinds of trouble, effects minutes after causes:

* a primary down (in half of them its machine first: `NodeDown` or `NodeFilesystemFull`, the
  database 20-90 s later), its replicas' replication broken 30-180 s later, the stages reading it
  failing at their next run 2-12 minutes later, their SLA missed and downstream datasets stale
  8-30 minutes later;
* a replica lagging (in half of them its machine's disk saturated first), the pipelines reading it
  slow 3-10 minutes later, their SLA missed 8-20 minutes later;
* a stage failing (bad input, a bug), its retries exhausted 1-5 minutes later, the pipeline's SLA
  missed and downstream pipelines' sensors timing out and datasets stale 5-30 minutes later;
* a maintenance window: a rolling restart of one cluster, each instance down for 1-3 minutes
  2-5 minutes apart, replication lag on the others, a retrying stage reading it (one incident);
* noisy recurring alerts: 2-4 alerts (a long-running transaction, a slow heavy stage, connections
  near the limit) firing for 2-8 minutes every 15-45 minutes, each firing its own incident;
* one-off noise; whole incidents recurring 6-25 minutes after they end.

Delivery is Alertmanager's with its real timers: per storm grouped by (alertname, job), (job) or
(alertname); a new group is sent after group_wait (30 s), and a change to a group already sent waits
for its next group_interval (60-300 s per storm), so alerts arrive up to minutes late and in
batches; an HA pair re-sends some. The declared graph (pipelines on the databases they read and on
upstream pipelines, 30-100% of the entries) names dbs and pipelines. The fit (family_fit.py) never
reads this module.
"""

from __future__ import annotations

import random
from engine.lab.alerts.family import FamAlert, Knobs, Storm, place_incidents

HOLDOUT7_STYLE = "data-platform"
PG_DOWN, REPL_BROKEN, REPL_LAG = "PostgresDown", "PostgresReplicationBroken", "PostgresReplicationLagHigh"
NODE_CAUSES = ["NodeDown", "NodeFilesystemFull"]
DISK_SAT = "NodeDiskIOSaturated"
TASK_FAILED, RETRIES_OUT, TASK_SLOW, SLA_MISSED = ("PipelineTaskFailed", "PipelineTaskRetriesExhausted",
                                                   "PipelineTaskDurationHigh", "PipelineSLAMissed")
SENSOR_TIMEOUT, STALE, TASK_RETRYING = "PipelineSensorTimeout", "DatasetFreshnessStale", "PipelineTaskRetrying"
RECURRING = ["PostgresLongRunningTransaction", "PostgresConnectionsNearLimit", TASK_SLOW]
NOISE = ["PostgresDeadlocksDetected", "PostgresSlowQueries", "NodeClockSkew", "PipelineTaskQueued",
         "PostgresWALArchiveLagging", "DatasetRowCountAnomaly"]
MARGIN_S = 120.0
MIN_SPAN_S = 360.0

Plan = list[tuple[str, dict[str, str], float]]  # (entity, labels, onset)


class _DataBuilder:
    """Databases, pipelines and datasets; incidents as alerts with truth; one cause per entity at a time."""

    def __init__(self, rng: random.Random, dbs: int, pipelines: int, vocab: dict[str, str], envs: list[str]) -> None:
        self.rng, self.vocab, self.envs = rng, vocab, envs
        names = ["orders", "billing", "users", "ledger", "catalog", "events", "payments", "crm", "inventory", "auth"]
        self.dbs = rng.sample(names, dbs)
        self.replicas = {d: rng.randint(1, 3) for d in self.dbs}
        words = ["daily_revenue", "user_sessions", "churn_features", "inventory_snapshot", "marketing_attribution",
                 "fraud_scores", "ledger_reconcile", "search_index", "crm_export", "finance_close", "ab_metrics",
                 "catalog_sync", "events_rollup", "payments_settlement", "recommendations", "audit_trail"]
        self.pipes = rng.sample(words, pipelines)
        stage_words = ["extract", "load_raw", "dedupe", "transform", "join", "aggregate", "validate", "publish"]
        self.stages = {p: ["wait_upstream"] + sorted(rng.sample(stage_words, rng.randint(2, 5)),
                                                     key=stage_words.index) for p in self.pipes}
        # What each pipeline reads: a database (its primary or one replica) and 0-2 earlier pipelines' datasets.
        self.reads: dict[str, tuple[str, int]] = {}
        for p in self.pipes:
            db = rng.choice(self.dbs)
            self.reads[p] = (db, rng.choice([0] + list(range(1, self.replicas[db] + 1))))
        self.upstream: dict[str, list[str]] = {}
        for i, p in enumerate(self.pipes):
            self.upstream[p] = sorted(rng.sample(self.pipes[:i], min(i, rng.choice([0, 1, 1, 2]))))
        self.downstream: dict[str, list[str]] = {}
        for p, ups in self.upstream.items():
            for u in ups:
                self.downstream.setdefault(u, []).append(p)
        self.busy: dict[str, list[tuple[float, float]]] = {}
        self.alerts: list[FamAlert] = []

    # Labels, as each exporter writes them.
    def _base(self, name: str, sev: str, env: str) -> dict[str, str]:
        out = {"alertname": name, "severity": sev, "team": "data"}
        if env:
            out["env"] = env
        return out

    def pg(self, name: str, db: str, i: int, sev: str, env: str) -> dict[str, str]:
        out = self._base(name, sev, env)
        out.update({"job": "postgres", "instance": f"{db}-{i}:9187", self.vocab["db"]: db,
                    "role": "primary" if i == 0 else "replica"})
        out["team"] = "dba"
        return out

    def node(self, name: str, db: str, i: int, sev: str, env: str) -> dict[str, str]:
        out = self._base(name, sev, env)
        out.update({"job": "node", "instance": f"{db}-{i}:9100"})
        out["team"] = "dba"
        return out

    def task(self, name: str, pipe: str, stage: str | None, sev: str, env: str) -> dict[str, str]:
        out = self._base(name, sev, env)
        out.update({"job": self.vocab["job"], "instance": self.vocab["instance"], self.vocab["pipeline"]: pipe})
        if stage is not None:
            out[self.vocab["stage"]] = stage
        if self.vocab["service"]:
            out["service"] = self.vocab["service"]
        return out

    def stale(self, pipe: str, env: str) -> dict[str, str]:
        out = self._base(STALE, "warning", env)
        out.update({"job": "freshness", "instance": "freshness-checker:9500", "dataset": f"{pipe}_out"})
        return out

    def free(self, ents: list[str], a: float, b: float) -> bool:
        """Return True when none of the entities is alerting for another cause then (with a margin)."""
        return not any(s - MARGIN_S < b and a < e + MARGIN_S for x in ents for s, e in self.busy.get(x, []))

    def add(self, plan: Plan, truth: str, end: float, env: str) -> bool:
        """Add one incident's alerts ending near end, if its entities (alert identities) are free."""
        plan = [p for p in plan if p[2] < end - 60]
        keys = [f"{env}|{e}|{lab['alertname']}" for e, lab, _ in plan]
        if not plan or len(set(keys)) < len(keys) or not self.free(keys, min(t for _, _, t in plan), end):
            return False
        for k, (_, lab, t) in zip(keys, plan):
            self.busy.setdefault(k, []).append((t, end))
            # At least MIN_SPAN_S: every firing reaches the receiver before it resolves (group_interval <= 300 s).
            self.alerts.append(FamAlert(lab, truth, t, max(t + MIN_SPAN_S, end + self.rng.uniform(-60, 120))))
        return True

    def _readers(self, db: str, replica: int | None) -> list[str]:
        return [p for p, (d, r) in self.reads.items() if d == db and (replica is None or r == replica)]

    def _pipeline_effects(self, pipes: list[str], t0: float, first: str, lag: tuple[float, float],
                          env: str, plan: Plan, share: float = 0.8) -> None:
        """Stages of the pipes failing (or slow) minutes after t0, their SLA, and downstream staleness."""
        rng = self.rng
        for p in pipes:
            if rng.random() > share:
                continue
            stage = rng.choice(self.stages[p][1:])
            t = t0 + rng.uniform(*lag)
            plan.append((f"{p}/{stage}", self.task(first, p, stage, "critical" if first == TASK_FAILED else "warning",
                                                   env), t))
            self._after_stage(p, t, env, plan)

    def _after_stage(self, p: str, t: float, env: str, plan: Plan) -> None:
        rng = self.rng
        if rng.random() < 0.7:
            plan.append((p, self.task(SLA_MISSED, p, None, "warning", env), t + rng.uniform(300, 1200)))
        for d in self.downstream.get(p, []):
            if rng.random() < 0.6:
                td = t + rng.uniform(300, 1500)
                plan.append((f"{d}/wait_upstream", self.task(SENSOR_TIMEOUT, d, "wait_upstream", "warning", env), td))
                if rng.random() < 0.5:
                    plan.append((f"ds:{d}", self.stale(d, env), td + rng.uniform(60, 600)))
        if rng.random() < 0.5:
            plan.append((f"ds:{p}", self.stale(p, env), t + rng.uniform(480, 1800)))

    def primary_down(self, t0: float, env: str) -> tuple[Plan, float]:
        """Plan a primary's failure (maybe its machine's first), replication, readers and what follows."""
        rng = self.rng
        db = rng.choice(self.dbs)
        plan: Plan = []
        t = t0
        if rng.random() < 0.5:
            plan.append((f"host:{db}-0", self.node(rng.choice(NODE_CAUSES), db, 0, "critical", env), t0))
            t = t0 + rng.uniform(20, 90)
        plan.append((f"pg:{db}-0", self.pg(PG_DOWN, db, 0, "critical", env), t))
        for i in range(1, self.replicas[db] + 1):
            if rng.random() < 0.7:
                plan.append((f"pg:{db}-{i}", self.pg(REPL_BROKEN, db, i, "warning", env), t + rng.uniform(30, 180)))
        self._pipeline_effects(self._readers(db, 0), t, TASK_FAILED, (120, 720), env, plan)
        return plan, t0 + rng.uniform(900, 2700)

    def replica_lag(self, t0: float, env: str) -> tuple[Plan, float]:
        """Plan a replica lagging (maybe its disk saturated first) and the pipelines reading it slowing."""
        rng = self.rng
        db = rng.choice(self.dbs)
        i = rng.randint(1, self.replicas[db])
        plan: Plan = []
        t = t0
        if rng.random() < 0.5:
            plan.append((f"host:{db}-{i}", self.node(DISK_SAT, db, i, "warning", env), t0))
            t = t0 + rng.uniform(30, 120)
        plan.append((f"pg:{db}-{i}", self.pg(REPL_LAG, db, i, "warning", env), t))
        readers = self._readers(db, i) or rng.sample(self._readers(db, None) or self.pipes, 1)
        for p in readers:
            if rng.random() < 0.8:
                stage = rng.choice(self.stages[p][1:])
                ts = t + rng.uniform(180, 600)
                plan.append((f"{p}/{stage}", self.task(TASK_SLOW, p, stage, "warning", env), ts))
                if rng.random() < 0.6:
                    plan.append((p, self.task(SLA_MISSED, p, None, "warning", env), ts + rng.uniform(300, 900)))
        return plan, t0 + rng.uniform(900, 2400)

    def stage_failure(self, t0: float, env: str) -> tuple[Plan, float]:
        """Plan a stage failing, its retries running out, the SLA and the downstream pipelines."""
        rng = self.rng
        p = rng.choice(self.pipes)
        stage = rng.choice(self.stages[p][1:])
        plan: Plan = [(f"{p}/{stage}", self.task(TASK_FAILED, p, stage, "critical", env), t0)]
        if rng.random() < 0.6:
            plan.append((f"{p}/{stage}#r", self.task(RETRIES_OUT, p, stage, "critical", env), t0 + rng.uniform(60, 300)))
        self._after_stage(p, t0, env, plan)
        return plan, t0 + rng.uniform(900, 2700)

    def maintenance(self, t0: float, env: str) -> tuple[Plan, float]:
        """Plan a rolling restart of one cluster: each instance down briefly, minutes apart, lag, a retrying stage."""
        rng = self.rng
        db = rng.choice(self.dbs)
        order = list(range(1, self.replicas[db] + 1)) + [0]
        plan: Plan = []
        t = t0
        for i in order:
            plan.append((f"pg:{db}-{i}", self.pg(PG_DOWN, db, i, "critical" if i == 0 else "warning", env), t))
            for j in order:
                if j != i and j != 0 and rng.random() < 0.3:
                    plan.append((f"pg:{db}-{j}#lag{i}", self.pg(REPL_LAG, db, j, "warning", env),
                                 t + rng.uniform(30, 120)))
            t += rng.uniform(120, 300)
        for p in self._readers(db, None)[:2]:
            if rng.random() < 0.5:
                stage = rng.choice(self.stages[p][1:])
                plan.append((f"{p}/{stage}#retry", self.task(TASK_RETRYING, p, stage, "warning", env),
                             t0 + rng.uniform(60, t - t0 + 60)))
        # Deduplicate identities (a replica lagging twice is one alert).
        seen: set[str] = set()
        kept: Plan = []
        for x in plan:
            ident = x[1]["alertname"] + x[0].split("#")[0]
            if ident not in seen:
                seen.add(ident)
                kept.append(x)
        plan = kept
        return plan, t + rng.uniform(120, 600)

    def incident(self, n: int, t0: float, shares: tuple[float, float, float], recurrence: float) -> None:
        """Add incident n of one kind at t0, and maybe its recurrences."""
        rng = self.rng
        for _ in range(30):
            env = rng.choice(self.envs) if len(self.envs) > 1 and rng.random() < 0.3 else self.envs[0]
            x = rng.random()
            kind = (self.primary_down if x < shares[0] else self.replica_lag if x < shares[0] + shares[1]
                    else self.maintenance if x < sum(shares) else self.stage_failure)
            plan, end = kind(t0, env)
            if self.add(plan, f"inc-{n}", end, env):
                break
        else:
            return
        if kind is self.maintenance or rng.random() >= recurrence:
            return
        last = end
        for r in range(rng.randint(1, 3)):
            start = last + rng.uniform(360, 1500)
            again = [(e, lab, start + (t - t0) * rng.uniform(0.7, 1.3)) for e, lab, t in plan]
            last = start + rng.uniform(600, 1800)
            if not self.add(again, f"inc-{n}-r{r + 1}", last, env):
                break

    def recurring(self, k: int, duration: float) -> None:
        """Add k noisy recurring alerts: 2-8 minutes every 15-45 minutes, each firing its own incident."""
        rng = self.rng
        env = self.envs[0]
        for j in range(k):
            name = RECURRING[j % len(RECURRING)]
            if name == TASK_SLOW:
                p = rng.choice(self.pipes)
                stage = rng.choice(self.stages[p][1:])
                ent, lab = f"{p}/{stage}", self.task(name, p, stage, "warning", env)
            else:
                db = rng.choice(self.dbs)
                ent, lab = f"pg:{db}-0", self.pg(name, db, 0, "warning", env)
            t, m = rng.uniform(0, 1800), 0
            period = rng.uniform(900, 2700)
            while t < duration:
                if self.add([(ent, lab, t)], f"recurring-{j}-{m}", t + rng.uniform(120, 480), env):
                    m += 1
                t += period * rng.uniform(0.8, 1.2)

    def noise(self, n: int, duration: float) -> None:
        """Add n one-off alerts about one database or pipeline, nothing following."""
        rng = self.rng
        for j in range(n):
            t = rng.uniform(0, duration)
            env = rng.choice(self.envs)
            name = rng.choice(NOISE)
            if name.startswith("Pipeline"):
                p = rng.choice(self.pipes)
                stage = rng.choice(self.stages[p])
                ent, lab = f"{p}/{stage}", self.task(name, p, stage, "warning", env)
            elif name.startswith("Dataset"):
                p = rng.choice(self.pipes)
                ent, lab = f"ds:{p}", self.stale(p, env)
                lab["alertname"] = name
            elif name.startswith("Node"):
                db = rng.choice(self.dbs)
                i = rng.randint(0, self.replicas[db])
                ent, lab = f"host:{db}-{i}", self.node(name, db, i, "warning", env)
            else:
                db = rng.choice(self.dbs)
                i = rng.randint(0, self.replicas[db])
                ent, lab = f"pg:{db}-{i}", self.pg(name, db, i, "warning", env)
            self.add([(ent, lab, t)], f"noise-{j}", t + rng.uniform(180, 1800), env)

    def depends_on(self, coverage: float) -> dict[str, list[str]]:
        """Return the operator's declared graph: a pipeline on the database it reads and its upstream pipelines."""
        deps = {p: sorted({self.reads[p][0], *self.upstream[p]}) for p in self.pipes}
        return {p: ups for p, ups in sorted(deps.items()) if self.rng.random() < coverage}


def holdout7_knobs(seed: int) -> tuple[Knobs, dict[str, object]]:
    """Draw the style's knobs: the family's, and the platform's (sizes, vocabulary, envs, shares, wire, coverage)."""
    r = random.Random(f"knobs:{HOLDOUT7_STYLE}:{seed}")
    k = Knobs(services=0, shape="pipelines", namespaces=0, clusters=1, hop_lag=(120.0, 1800.0),
              incidents=r.randint(8, 16), duration_s=r.uniform(7200, 10800), concurrency=r.uniform(0.2, 0.5),
              recurrence=r.uniform(0.1, 0.3), flap=0.0, dup=r.uniform(0.05, 0.3), noise=r.uniform(0.3, 1.2),
              label_reuse=0.0, spread=0.0)
    airflow = r.random() < 0.5
    vocab = {"db": r.choice(["db", "datname"]), "job": "airflow" if airflow else "etl",
             "instance": "airflow-statsd:9102" if airflow else "etl-exporter:9400",
             "pipeline": "dag_id" if airflow else "pipeline", "stage": "task_id" if airflow else "stage",
             "service": ("airflow-scheduler" if airflow else "etl-runner") if r.random() < 1 / 3 else ""}
    extra = {"dbs": r.randint(3, 8), "pipelines": r.randint(4, 14), "vocab": vocab,
             "envs": ["prod", "staging"] if r.random() < 0.4 else [""],
             "shares": (r.uniform(0.15, 0.3), r.uniform(0.1, 0.25), r.uniform(0.05, 0.15)),
             "recurring": r.randint(2, 4), "coverage": r.uniform(0.3, 1.0),
             "group_by": r.choice([("alertname", "job"), ("job",), ("alertname",)]),
             "group_interval": r.uniform(60, 300)}
    return k, extra


def holdout7_storm(seed: int) -> Storm:
    """Generate one storm of the seventh held-out style (its depends_on is the operator's declared graph)."""
    k, x = holdout7_knobs(seed)
    rng = random.Random(f"{HOLDOUT7_STYLE}:{seed}")
    b = _DataBuilder(rng, x["dbs"], x["pipelines"], x["vocab"], x["envs"])  # type: ignore[arg-type]
    place_incidents(rng, k, lambda n, t0: b.incident(n, t0, x["shares"], k.recurrence), beside_s=300)  # type: ignore[arg-type]
    b.recurring(x["recurring"], k.duration_s)  # type: ignore[arg-type]
    b.noise(round(k.noise * k.incidents), k.duration_s)
    return Storm(HOLDOUT7_STYLE, seed, k, b.alerts, b.depends_on(x["coverage"]))  # type: ignore[arg-type]
