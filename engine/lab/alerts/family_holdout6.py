"""The sixth held-out storm style: written before the generalization work of issue #20's sixth session, scored once at its end.

Serverless ("serverless-queues"): an event-driven platform of functions and queues. Apps (a
Serverless Framework service or a SAM stack) own 1-4 functions each; a function is triggered by
an API, by a schedule, or by its input queue, and may send to other functions' input queues.
Alerts come from the cloud's alarms: a function's carry `function_name`, `region`, `account` and,
per storm, either `service=<app>` (the stack's tag copied onto the alarm) or no service at all; a
queue's carry `queue_name` (a DLQ is `<queue>-dlq`), `region`, `account` and, in half the storms,
the consumer's `service`. No `namespace`, `cluster`, `node`, `host`, `instance`, zone or rack.
The declared graph is over apps: a producer's app depends on the app that consumes what it sends,
each app's entry with a chance of 40-100% per storm. Five kinds of trouble:

* a consumer outage: the function's errors, then its input queue's backlog alert minutes later
  (the age of the oldest message grows: 2-8 minutes), its DLQ's alert (3-12 minutes), the
  producers' send retries (4-12 minutes), and, climbing back, the producers' own input queues'
  backlog a few minutes after that; downstream consumers starved of input (`InvocationsLow`);
* a shared table throttled (`TableThrottled`, naming the `table` only), then the functions that
  use it erroring 20-120 s later, each with its queue backlog and DLQ minutes later;
* the account's concurrency limit (`AccountConcurrencyLimitReached`, naming the account only),
  then throttles on 2-6 unrelated functions within 3 minutes and some of their queues' backlog;
* scheduled jobs that fail every 20-45 minutes for a few minutes, each failure its own incident
  (the same alert recurring), and whole incidents recurring 6-25 minutes after they end;
* noise: one alert about one function or queue, nothing following.

Delivery is the alarms' (SNS to a webhook): one alert per call, each change 0-60 s late, so out of
onset order; SNS is at-least-once, so some arrive twice. The backlog's minutes of lag, the
queue-named entities, the app-level graph and the unlabelled limits are new to it; the fit
(family_fit.py) never reads this module.
"""

from __future__ import annotations

import random
from datetime import timedelta

from engine.alerts.fingerprint import fingerprint_of
from engine.alerts.types import AlertEvent, Status
from engine.lab.alerts.family import BASE, FamAlert, Knobs, Storm
from engine.lab.alerts.family_wire import Delivery

HOLDOUT6_STYLE = "serverless-queues"
FN_ERRORS, BACKLOG, DLQ, RETRIES = "FunctionErrorRateHigh", "QueueOldestMessageAgeHigh", "DLQMessagesVisible", "SendMessageRetriesHigh"
STARVED, THROTTLES, TABLE_ALERT, LIMIT_ALERT = "InvocationsLow", "FunctionThrottlesHigh", "TableThrottled", "AccountConcurrencyLimitReached"
SCHEDULED = "ScheduledInvocationFailed"
FN_ROOT_EXTRA = ["FunctionTimeouts", "FunctionOutOfMemory", "FunctionInitErrors"]
FN_NOISE = ["FunctionDurationHigh", "ColdStartRateHigh", "FunctionCostAnomaly", "ProvisionedConcurrencySpillover"]
MAX_LATE_S = 60.0
MARGIN_S = 120.0


class _ServerlessBuilder:
    """Functions, queues, apps and tables; incidents as alerts with truth; one cause per entity at a time."""

    def __init__(self, rng: random.Random, apps: int, tag_service: bool, queue_service: bool,
                 spread: float, flap: float) -> None:
        self.rng, self.spread_p, self.flap = rng, spread, flap
        self.tag_service, self.queue_service = tag_service, queue_service
        self.region = rng.choice(["us-east-1", "eu-west-1", "ap-northeast-1", "us-west-2"])
        self.account = str(rng.randrange(10**11, 10**12))
        words = ["orders", "billing", "ledger", "email", "thumbs", "search", "audit", "payouts", "fraud", "inventory",
                 "shipping", "notify", "export", "ingest", "reports", "loyalty"]
        self.apps = rng.sample(words, apps)
        verbs = ["handler", "worker", "processor", "fanout", "enricher", "writer", "sync", "poller"]
        self.fns: list[str] = []
        self.app_of: dict[str, str] = {}
        for app in self.apps:
            for v in rng.sample(verbs, rng.randint(1, 4)):
                fn = f"{app}-{v}"
                self.fns.append(fn)
                self.app_of[fn] = app
        rng.shuffle(self.fns)
        # Entry functions (API or schedule) first; every later function consumes its own input queue,
        # fed by 1-2 earlier functions: a DAG of producers -> queue -> consumer.
        entries = max(2, len(self.fns) // 4)
        self.queue_of: dict[str, str] = {}  # consumer function -> its input queue
        self.producers: dict[str, list[str]] = {}  # consumer -> the functions that send to its queue
        for i, fn in enumerate(self.fns):
            if i >= entries:
                self.queue_of[fn] = f"{fn.replace('-', '_')}_in"
                self.producers[fn] = sorted(set(rng.sample(self.fns[:i], min(i, rng.randint(1, 2)))))
        self.consumers: dict[str, list[str]] = {}  # producer -> consumers it feeds
        for c, ps in self.producers.items():
            for p in ps:
                self.consumers.setdefault(p, []).append(c)
        self.tables = [f"{rng.choice(self.apps)}-{t}" for t in rng.sample(["items", "events", "sessions", "state"],
                                                                            rng.randint(1, 3))]
        self.table_of = {fn: rng.choice(self.tables) for fn in self.fns if rng.random() < 0.6}
        self.scheduled = [fn for fn in self.fns[:entries] if rng.random() < 0.5][:2]
        self.busy: dict[str, list[tuple[float, float]]] = {}
        self.alerts: list[FamAlert] = []

    def depends_on(self, coverage: float) -> dict[str, list[str]]:
        """Return the operator's declared app graph: a producer's app depends on its consumers' apps.

        Two apps that send to each other's queues would make a cycle, which depends_on refuses: the
        edge that would close one is left out (the operator declares the direction it learned first).
        """
        deps: dict[str, set[str]] = {}

        def reaches(a: str, b: str) -> bool:
            seen, todo = {a}, [a]
            while todo:
                for n in deps.get(todo.pop(), ()):
                    if n == b:
                        return True
                    if n not in seen:
                        seen.add(n)
                        todo.append(n)
            return False

        for p in sorted(self.consumers):
            for c in self.consumers[p]:
                pa, ca = self.app_of[p], self.app_of[c]
                if pa != ca and not reaches(ca, pa):
                    deps.setdefault(pa, set()).add(ca)
        return {a: sorted(u) for a, u in sorted(deps.items()) if self.rng.random() < coverage}

    def fn_labels(self, name: str, fn: str, sev: str) -> dict[str, str]:
        out = {"alertname": name, "function_name": fn, "region": self.region, "account": self.account, "severity": sev}
        if self.tag_service:
            out["service"] = self.app_of[fn]
        return out

    def queue_labels(self, name: str, consumer: str, dlq: bool, sev: str) -> dict[str, str]:
        q = self.queue_of[consumer]
        out = {"alertname": name, "queue_name": f"{q}-dlq" if dlq else q, "region": self.region,
               "account": self.account, "severity": sev}
        if self.queue_service:
            out["service"] = self.app_of[consumer]
        return out

    def free(self, ents: list[str], a: float, b: float) -> bool:
        """Return True when none of the entities is alerting for another cause then (with a margin)."""
        return not any(s - MARGIN_S < b and a < e + MARGIN_S for x in ents for s, e in self.busy.get(x, []))

    def add(self, plan: list[tuple[str, dict[str, str], float]], truth: str, end: float) -> bool:
        """Add one incident's alerts (entity, labels, onset) ending near end, if its entities are free."""
        plan = [p for p in plan if p[2] < end - 60]
        if not plan or not self.free([e for e, _, _ in plan], min(t for _, _, t in plan), end):
            return False
        for ent, lab, t in plan:
            self.busy.setdefault(ent, []).append((t, end))
            a = FamAlert(lab, truth, t, max(t + 90, end + self.rng.uniform(-60, 120)))
            self._flaps(a)
            self.alerts.append(a)
        return True

    def _flaps(self, a: FamAlert) -> None:
        # A one-minute alarm period flaps around its threshold.
        if self.rng.random() >= self.flap:
            return
        t = a.start
        for _ in range(self.rng.randint(1, 3)):
            r = t + self.rng.uniform(60, 300)
            off = self.rng.uniform(60, 180)
            if r + off + 60 > a.end:
                break
            a.flaps.append((r, r + off))
            t = r + off

    def _backlog(self, fn: str, t: float, plan: list[tuple[str, dict[str, str], float]], dlq: float) -> None:
        if fn in self.queue_of:
            q = self.queue_of[fn]
            plan.append((q, self.queue_labels(BACKLOG, fn, False, "warning"), t + self.rng.uniform(120, 480)))
            if self.rng.random() < dlq:
                plan.append((q + "-dlq", self.queue_labels(DLQ, fn, True, "warning"), t + self.rng.uniform(180, 720)))

    def consumer_outage(self, t0: float) -> tuple[list[tuple[str, dict[str, str], float]], float]:
        """Plan a consumer function's outage and what grows from it; return (plan, end)."""
        fn = self.rng.choice(list(self.queue_of))
        plan = [(fn, self.fn_labels(FN_ERRORS, fn, "critical"), t0)]
        if self.rng.random() < 0.5:
            plan.append((fn + "#x", self.fn_labels(self.rng.choice(FN_ROOT_EXTRA), fn, "critical"),
                         t0 + self.rng.uniform(0, 60)))
        self._backlog(fn, t0, plan, 0.7)
        # Climbing back: producers retry their sends, and a slowed producer's own queue backs up.
        frontier, seen = [(fn, t0)], {fn}
        while frontier:
            c, t = frontier.pop(0)
            for p in self.producers.get(c, []):
                if p in seen or self.rng.random() > self.spread_p:
                    continue
                seen.add(p)
                tp = t + self.rng.uniform(240, 720)
                plan.append((p, self.fn_labels(RETRIES, p, "warning"), tp))
                if p in self.queue_of and self.rng.random() < 0.6:
                    plan.append((self.queue_of[p], self.queue_labels(BACKLOG, p, False, "warning"),
                                 tp + self.rng.uniform(120, 420)))
                    frontier.append((p, tp))
        for d in self.consumers.get(fn, []):  # downstream: starved of input
            if d not in seen and self.rng.random() < 0.4:
                plan.append((d, self.fn_labels(STARVED, d, "warning"), t0 + self.rng.uniform(300, 900)))
        return plan, t0 + self.rng.uniform(900, 2700)

    def table_throttled(self, t0: float) -> tuple[list[tuple[str, dict[str, str], float]], float]:
        """Plan a shared table's throttling: its alert, the functions using it, their queues."""
        table = self.rng.choice(self.tables)
        users = [fn for fn, t in self.table_of.items() if t == table]
        plan = [("table:" + table, {"alertname": TABLE_ALERT, "table": table, "region": self.region,
                                    "account": self.account, "severity": "critical"}, t0)]
        for fn in users:
            if self.rng.random() < 0.8:
                t = t0 + self.rng.uniform(20, 120)
                plan.append((fn, self.fn_labels(FN_ERRORS, fn, "warning"), t))
                self._backlog(fn, t, plan, 0.4)
        return plan, t0 + self.rng.uniform(600, 2400)

    def concurrency_limit(self, t0: float) -> tuple[list[tuple[str, dict[str, str], float]], float]:
        """Plan the account's concurrency limit: its alert, throttles on unrelated functions, some backlog."""
        plan = [("limit:" + self.account, {"alertname": LIMIT_ALERT, "account": self.account, "region": self.region,
                                           "severity": "critical"}, t0)]
        for fn in self.rng.sample(self.fns, min(len(self.fns), self.rng.randint(2, 6))):
            t = t0 + self.rng.uniform(10, 180)
            plan.append((fn, self.fn_labels(THROTTLES, fn, "warning"), t))
            if self.rng.random() < 0.6:
                self._backlog(fn, t, plan, 0.2)
        return plan, t0 + self.rng.uniform(600, 1800)

    def incident(self, n: int, t0: float, shares: tuple[float, float], recurrence: float) -> None:
        """Add incident n (one of three kinds) at t0, and maybe its recurrences."""
        for _ in range(30):
            x = self.rng.random()
            kind = self.table_throttled if x < shares[0] else (
                self.concurrency_limit if x < shares[0] + shares[1] else self.consumer_outage)
            plan, end = kind(t0)
            if self.add(plan, f"inc-{n}", end):
                break
        else:
            return
        if self.rng.random() < recurrence:
            last = end
            for r in range(self.rng.randint(1, 3)):
                start = last + self.rng.uniform(360, 1500)
                again = [(e, lab, start + (t - t0) * self.rng.uniform(0.7, 1.3)) for e, lab, t in plan]
                last = start + self.rng.uniform(600, 1800)
                if not self.add(again, f"inc-{n}-r{r + 1}", last):
                    break

    def scheduled_failures(self, duration: float) -> None:
        """Add the scheduled jobs' periodic failures, each its own incident."""
        for j, fn in enumerate(self.scheduled):
            t, k = self.rng.uniform(0, 1800), 0
            period = self.rng.uniform(1200, 2700)
            while t < duration:
                if self.rng.random() < 0.7:
                    end = t + self.rng.uniform(180, 480)
                    self.add([(fn, self.fn_labels(SCHEDULED, fn, "warning"), t)], f"sched-{j}-{k}", end)
                    k += 1
                t += period * self.rng.uniform(0.9, 1.1)

    def noise(self, n: int, duration: float) -> None:
        """Add n alerts about one function or queue, nothing following."""
        for j in range(n):
            t = self.rng.uniform(0, duration)
            fn = self.rng.choice(self.fns)
            if fn in self.queue_of and self.rng.random() < 0.3:
                plan = [(self.queue_of[fn], self.queue_labels(BACKLOG, fn, False, "warning"), t)]
            else:
                plan = [(fn, self.fn_labels(self.rng.choice(FN_NOISE), fn, "warning"), t)]
            self.add(plan, f"noise-{j}", t + self.rng.uniform(180, 1800))


def holdout6_knobs(seed: int) -> tuple[Knobs, int, bool, bool, float, float, float]:
    """Draw the style's knobs: the family's, apps, service tags on functions and queues, table and limit shares, coverage."""
    r = random.Random(f"knobs:{HOLDOUT6_STYLE}:{seed}")
    k = Knobs(services=0, shape="queues", namespaces=0, clusters=1, hop_lag=(120.0, 720.0), incidents=r.randint(8, 16),
              duration_s=r.uniform(7200, 10800), concurrency=r.uniform(0.2, 0.5), recurrence=r.uniform(0.1, 0.35),
              flap=r.uniform(0.05, 0.3), dup=r.uniform(0.05, 0.3), noise=r.uniform(0.3, 1.2), label_reuse=0.0,
              spread=r.uniform(0.4, 0.8))
    return (k, r.randint(5, 14), r.random() < 0.7, r.random() < 0.5, r.uniform(0.1, 0.25), r.uniform(0.05, 0.15),
            r.uniform(0.4, 1.0))


def holdout6_storm(seed: int) -> Storm:
    """Generate one storm of the sixth held-out style (its depends_on is the operator's declared app graph)."""
    k, apps, tag_service, queue_service, table_share, limit_share, coverage = holdout6_knobs(seed)
    rng = random.Random(f"{HOLDOUT6_STYLE}:{seed}")
    b = _ServerlessBuilder(rng, apps, tag_service, queue_service, k.spread, k.flap)
    starts: list[float] = []
    for n in range(k.incidents):
        if starts and rng.random() < k.concurrency:
            t0 = rng.choice(starts) + rng.uniform(0, 300)
        else:
            t0 = rng.uniform(0, k.duration_s * 0.8)
        starts.append(t0)
        b.incident(n, t0, (table_share, limit_share), k.recurrence)
    b.scheduled_failures(k.duration_s)
    b.noise(round(k.noise * k.incidents), k.duration_s)
    return Storm(HOLDOUT6_STYLE, seed, k, b.alerts, b.depends_on(coverage))


def sns_deliveries(storm: Storm) -> list[Delivery]:
    """Return one-alarm webhook deliveries, each change 0-60 s late (out of onset order), some sent twice."""
    rng = random.Random(f"sns:{storm.style}:{storm.seed}")
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
            # Per-alarm lag plus jitter, at most 60 s; a change never overtakes the alarm's previous one.
            at = max(prev + 1.0, t + min(MAX_LATE_S, lag + rng.uniform(0, MAX_LATE_S * 0.25)))
            prev = at
            what = a.labels.get("function_name") or a.labels.get("queue_name") or a.labels.get("table") or a.labels["account"]
            ev = AlertEvent(fp, Status(st), a.labels, {"summary": f"{a.labels['alertname']} on {what}"},
                            BASE + timedelta(seconds=occ), BASE + timedelta(seconds=t) if st == "resolved" else None,
                            "sns", f"sns:{fp}", "", frozenset())
            out.append((at, (ev,)))
            if rng.random() < storm.knobs.dup:
                out.append((at + rng.uniform(0.1, 30.0), (ev,)))
    out.sort(key=lambda d: d[0])
    return out
