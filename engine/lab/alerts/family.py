"""A family of storm styles for the grouping benchmark: cascades, flaps, recurrences, duplicates, noise.

Every style draws its knobs at random per seed (topology size and shape, hop lag, concurrency,
recurrence, flapping, duplicate and noise rates, label reuse), so no rule can be fitted to one
storm. The styles share one cascade model: a failing service's dependents (its callers) alert
a hop's lag later, and so on up the call graph; an incident ends when its root recovers.
The shared-hosts training style (machines and their failures, a partial graph) is in family_hosts.py
(family_train.py lists the training styles);
the held-out styles live in family_holdout*.py and are never used by the fit (docs/grouping.md).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

BASE = datetime(2026, 11, 27, tzinfo=timezone.utc)
ROOT_NAMES = ["DatabaseDown", "ReplicationLagHigh", "CacheDown", "BrokerUnavailable", "PodCrashLooping",
              "NodeNotReady", "DiskFull", "DNSFailures", "CertificateExpired", "OOMKilled"]
SYMPTOM_NAMES = ["HighLatency", "HighErrorRate", "UpstreamTimeouts", "SaturationHigh", "QueueBacklogHigh",
                 "CircuitOpen", "RetryStorm", "SLOBurnFast", "Http5xxHigh", "ConnectionPoolExhausted",
                 "ThreadPoolFull", "GCPressure"]
NOISE_NAMES = ["DiskSpaceLow", "CertificateExpiringSoon", "NodeClockSkew", "BackupJobFailed", "CronMissed",
               "ConfigReloadFailed"]


@dataclass
class Knobs:
    """One storm's drawn parameters (a style draws these from its ranges per seed)."""

    services: int
    shape: str  # layered | tree | hub | chain | mesh
    namespaces: int
    clusters: int
    hop_lag: tuple[float, float]
    incidents: int
    duration_s: float
    concurrency: float  # share of incidents that start within two minutes of another
    recurrence: float  # chance an incident recurs (1-3 times, 6-25 min after it ended)
    flap: float  # chance an alert flaps (1-3 short resolves)
    dup: float  # chance a delivery arrives twice (HA pair)
    noise: float  # isolated alerts per incident
    label_reuse: float  # 1: every service uses the same few symptom names; 0: many names
    spread: float = 0.7  # chance a dependent of an affected service is affected too
    max_depth: int = 5
    instances: tuple[int, int] = (1, 3)


@dataclass
class FamAlert:
    """One alert of a storm: its labels, true incident, firing span and short resolves."""

    labels: dict[str, str]
    truth: str
    start: float
    end: float
    flaps: list[tuple[float, float]] = field(default_factory=list)  # (resolve_at, refire_at)


@dataclass
class Storm:
    """A generated storm: alerts with truth, the dependency graph, and its delivery knobs."""

    style: str
    seed: int
    knobs: Knobs
    alerts: list[FamAlert]
    depends_on: dict[str, list[str]]


def topology(k: Knobs, rng: random.Random) -> tuple[list[str], dict[str, list[str]]]:
    """Return services (infra first) and service -> the services it depends on."""
    n = max(4, k.services)
    svcs = [f"s{i:03d}" for i in range(n)]
    deps: dict[str, list[str]] = {}
    if k.shape == "layered":
        layers = max(3, min(5, n // 5))
        per = [svcs[i * n // layers:(i + 1) * n // layers] for i in range(layers)]
        for li in range(1, layers):
            below = [s for lay in per[:li] for s in lay]
            for s in per[li]:
                ups = {rng.choice(per[li - 1])}
                if rng.random() < 0.4:
                    ups.add(rng.choice(below))
                deps[s] = sorted(ups)
    elif k.shape == "tree":
        for i in range(1, n):
            deps[svcs[i]] = [svcs[rng.randrange(max(0, i - 4), i)]]
    elif k.shape == "hub":
        hubs = max(2, n // 10)
        for i in range(hubs, n):
            ups = {svcs[rng.randrange(hubs)]}
            if i > hubs + 2 and rng.random() < 0.5:
                ups.add(svcs[rng.randrange(hubs, i)])
            deps[svcs[i]] = sorted(ups)
    elif k.shape == "chain":
        chains = max(2, n // 6)
        for i in range(chains, n):
            deps[svcs[i]] = [svcs[i - chains]]
    else:  # mesh: any earlier service, one to three of them
        for i in range(1, n):
            deps[svcs[i]] = sorted({svcs[rng.randrange(i)] for _ in range(rng.randint(1, 3))})
    return svcs, deps


def _namespaces(svcs: list[str], k: Knobs, rng: random.Random) -> dict[str, str]:
    # Teams own runs of neighbouring services, with a few strays.
    out = {}
    for i, s in enumerate(svcs):
        ns = i * k.namespaces // len(svcs)
        if rng.random() < 0.15:
            ns = rng.randrange(k.namespaces)
        out[s] = f"team-{ns}"
    return out


class _Builder:
    """Shared cascade machinery: a busy map keeps one cause per alerting service at a time."""

    def __init__(self, k: Knobs, rng: random.Random) -> None:
        self.k, self.rng = k, rng
        self.svcs, self.deps = topology(k, rng)
        self.ns = _namespaces(self.svcs, k, rng)
        self.callers: dict[str, list[str]] = {}
        for s, ups in self.deps.items():
            for u in ups:
                self.callers.setdefault(u, []).append(s)
        vocab = max(2, round(len(SYMPTOM_NAMES) * (1 - k.label_reuse)))
        self.symptoms = SYMPTOM_NAMES[:vocab]
        self.clusters = [f"c{i}" for i in range(k.clusters)]
        self.near: dict[str, set[str]] = {s: set(self.deps.get(s, [])) | set(self.callers.get(s, []))
                                          for s in self.svcs}
        self.busy: dict[tuple[str, str], list[tuple[float, float, str]]] = {}
        self.alerts: list[FamAlert] = []

    def free(self, svc: str, cl: str, a: float, b: float, truth: str = "") -> bool:
        """Return True when svc is not alerting then, nor (for another cause) any service next to it.

        One cause per alerting service; and two causes at once on neighbouring services would be
        told apart by nobody, so the truth would be arbitrary: the generator avoids both.
        """
        if any(s - 120 < b and a < e + 120 for s, e, _ in self.busy.get((svc, cl), [])):
            return False
        return not truth or not any(s - 120 < b and a < e + 120 and t != truth for n in self.near[svc]
                                    for s, e, t in self.busy.get((n, cl), []))

    def labels(self, svc: str, cl: str, name: str, sev: str, i: int) -> dict[str, str]:
        return {"alertname": name, "service": svc, "namespace": self.ns[svc], "cluster": cl,
                "severity": sev, "instance": f"{svc}-{i}"}

    def spread(self, root: str, cl: str, t0: float, dur: float, truth: str) -> list[tuple[str, float, float]]:
        """Return (service, onset, end) of a cascade from root, or [] when root is busy."""
        end = t0 + dur
        if not self.free(root, cl, t0, end + 120, truth):
            return []
        out, frontier, seen = [(root, t0, end)], [(root, t0, 0)], {root}
        while frontier:
            svc, t, depth = frontier.pop(0)
            if depth >= self.k.max_depth:
                continue
            for d in self.callers.get(svc, []):
                if d in seen or self.rng.random() > self.k.spread:
                    continue
                seen.add(d)
                td = t + self.rng.uniform(*self.k.hop_lag)
                e = end + self.rng.uniform(0, 90)
                if td < e - 60 and self.free(d, cl, td, e, truth):
                    out.append((d, td, e))
                    frontier.append((d, td, depth + 1))
        return out

    def emit(self, affected: list[tuple[str, float, float]], cl: str, truth: str,
             names: dict[str, list[str]], inst: dict[str, int]) -> None:
        """Add the alerts of one (possibly recurring) cascade and mark its services busy."""
        for j, (svc, t, end) in enumerate(affected):
            self.busy.setdefault((svc, cl), []).append((t, end, truth))
            for name in names[svc]:
                for i in range(inst[svc]):
                    s = t + self.rng.uniform(0, 45)
                    a = FamAlert(self.labels(svc, cl, name, "critical" if j == 0 else "warning", i), truth, s,
                                 max(s + 90, end + self.rng.uniform(-30, 30)))
                    self._flaps(a)
                    self.alerts.append(a)

    def _flaps(self, a: FamAlert) -> None:
        if self.rng.random() >= self.k.flap:
            return
        t = a.start
        for _ in range(self.rng.randint(1, 3)):
            r = t + self.rng.uniform(60, 300)
            off = self.rng.uniform(15, 120)
            if r + off + 60 > a.end:
                break
            a.flaps.append((r, r + off))
            t = r + off

    def incident(self, n: int, t0: float) -> float:
        """Generate incident n (and its recurrences) from t0; return when the last one ended."""
        for _ in range(30):
            root = self.rng.choice(self.svcs[: max(2, len(self.svcs) * 2 // 3)])
            cl = self.rng.choice(self.clusters)
            dur = self.rng.uniform(300, 2400)
            affected = self.spread(root, cl, t0, dur, f"inc-{n}")
            if affected:
                break
        else:
            return t0
        names = {s: (self.rng.sample(ROOT_NAMES, self.rng.randint(1, 2)) if s == root else
                     self.rng.sample(self.symptoms, min(len(self.symptoms), self.rng.randint(1, 2))))
                 for s, _, _ in affected}
        inst = {s: self.rng.randint(*self.k.instances) for s, _, _ in affected}
        self.emit(affected, cl, f"inc-{n}", names, inst)
        last = max(e for _, _, e in affected)
        if self.rng.random() < self.k.recurrence:
            for r in range(self.rng.randint(1, 3)):
                start = last + self.rng.uniform(360, 1500)
                # The same cause again: same root, same services, a new cascade in time.
                again = [(s, start + (t - t0) * self.rng.uniform(0.7, 1.3), 0.0) for s, t, _ in affected]
                end = start + self.rng.uniform(200, 1200)
                again = [(s, t, end + self.rng.uniform(0, 60)) for s, t, _ in again if t < end - 60]
                tr = f"inc-{n}-r{r + 1}"
                if not again or not all(self.free(s, cl, t, e, tr) for s, t, e in again):
                    break
                self.emit(again, cl, tr, names, inst)
                last = max(e for _, _, e in again)
        return last

    def noise(self, n: int) -> None:
        """Add n isolated alerts, each its own incident."""
        for j in range(n):
            svc, cl = self.rng.choice(self.svcs), self.rng.choice(self.clusters)
            t = self.rng.uniform(0, self.k.duration_s)
            e = t + self.rng.uniform(120, 1800)
            if self.free(svc, cl, t, e):
                self.busy.setdefault((svc, cl), []).append((t, e, f"noise-{j}"))
                a = FamAlert(self.labels(svc, cl, self.rng.choice(NOISE_NAMES), "warning", 0), f"noise-{j}", t, e)
                self._flaps(a)
                self.alerts.append(a)


def place_incidents(rng: random.Random, k: Knobs, start: Callable[[int, float], object], beside_s: float) -> None:
    """Start each incident at a random time, or (with probability `concurrency`) beside an earlier one.

    `start(n, t0)` builds incident n; its draws come between the draws of the start times, so
    every style that uses this keeps one draw order (and its scored storms).
    """
    starts: list[float] = []
    for n in range(k.incidents):
        if starts and rng.random() < k.concurrency:
            t0 = rng.choice(starts) + rng.uniform(0, beside_s)
        else:
            t0 = rng.uniform(0, k.duration_s * 0.8)
        starts.append(t0)
        start(n, t0)


def build_storm(style: str, seed: int, k: Knobs) -> Storm:
    """Generate one storm of a style from its drawn knobs."""
    rng = random.Random(f"{style}:{seed}")
    b = _Builder(k, rng)
    place_incidents(rng, k, b.incident, beside_s=120)
    b.noise(round(k.noise * k.incidents))
    return Storm(style, seed, k, b.alerts, b.deps)


def _u(rng: random.Random, lo: float, hi: float) -> float:
    return rng.uniform(lo, hi)


def _train_knobs(style: str, rng: random.Random) -> Knobs:
    r = rng
    dur, dup = _u(r, 7200, 10800), _u(r, 0.1, 0.5)  # drawn first, in this order, for every style
    if style == "layered":
        return Knobs(r.randint(20, 40), "layered", r.randint(3, 6), r.randint(1, 2), (30, _u(r, 60, 150)),
                     r.randint(8, 14), concurrency=_u(r, 0.1, 0.3), recurrence=_u(r, 0.1, 0.3),
                     flap=_u(r, 0.05, 0.2), noise=_u(r, 0.3, 1.0), label_reuse=_u(r, 0.3, 0.7), duration_s=dur, dup=dup)
    if style == "tree":
        return Knobs(r.randint(15, 35), "tree", r.randint(2, 5), 1, (_u(r, 30, 60), _u(r, 90, 150)),
                     r.randint(6, 12), concurrency=_u(r, 0.0, 0.2), recurrence=_u(r, 0.1, 0.3),
                     flap=_u(r, 0.05, 0.2), noise=_u(r, 0.2, 0.8), label_reuse=_u(r, 0.2, 0.6), duration_s=dur, dup=dup)
    if style == "hub":
        return Knobs(r.randint(25, 60), "hub", r.randint(4, 8), r.randint(1, 2), (30, _u(r, 50, 90)),
                     r.randint(6, 12), concurrency=_u(r, 0.1, 0.3), recurrence=_u(r, 0.0, 0.2),
                     flap=_u(r, 0.05, 0.15), noise=_u(r, 0.5, 1.5), label_reuse=_u(r, 0.5, 0.9),
                     spread=_u(r, 0.4, 0.7), duration_s=dur, dup=dup)
    if style == "recurring":
        return Knobs(r.randint(15, 30), r.choice(["layered", "tree"]), r.randint(2, 4), 1, (30, _u(r, 60, 150)),
                     r.randint(5, 9), concurrency=_u(r, 0.0, 0.2), recurrence=_u(r, 0.6, 0.9),
                     flap=_u(r, 0.1, 0.3), noise=_u(r, 0.2, 0.6), label_reuse=_u(r, 0.3, 0.7), duration_s=dur, dup=dup)
    if style == "crowded":
        return Knobs(r.randint(20, 40), r.choice(["layered", "mesh"]), r.randint(1, 2), 1, (30, _u(r, 60, 150)),
                     r.randint(12, 20), concurrency=_u(r, 0.4, 0.7), recurrence=_u(r, 0.1, 0.3),
                     flap=_u(r, 0.05, 0.2), noise=_u(r, 1.0, 2.0), label_reuse=_u(r, 0.6, 0.9), duration_s=dur, dup=dup)
    if style == "flappy":
        return Knobs(r.randint(10, 25), r.choice(["chain", "tree"]), r.randint(2, 4), r.randint(1, 2),
                     (_u(r, 30, 60), _u(r, 90, 150)), r.randint(5, 10), concurrency=_u(r, 0.0, 0.3),
                     recurrence=_u(r, 0.2, 0.4), flap=_u(r, 0.3, 0.6), noise=_u(r, 0.3, 1.0),
                     label_reuse=_u(r, 0.3, 0.7), duration_s=_u(r, 7200, 10800), dup=_u(r, 0.4, 0.8))
    raise KeyError(style)
