"""Generate realistic labelled alert storms: cascades over a service graph, flaps, duplicates, noise."""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from engine.alerts.fingerprint import fingerprint_of

ZERO = "0001-01-01T00:00:00Z"
ROOT_ALERTS = {"db": ["DatabaseDown", "ReplicationLagHigh"], "cache": ["CacheEvictionsHigh", "CacheDown"],
               "queue": ["QueueBacklogHigh", "BrokerUnavailable"], "svc": ["HighErrorRate", "PodCrashLooping"],
               "web": ["HighErrorRate", "EndpointDown"]}
SYMPTOMS = ["HighLatency", "HighErrorRate", "UpstreamTimeouts"]
NOISE_ALERTS = ["DiskSpaceLow", "CertificateExpiringSoon", "NodeClockSkew", "BackupJobFailed"]


@dataclass
class StormParams:
    """Knobs of the generator; vary them to get storms the pipeline was not tuned on."""

    seed: int = 0
    layers: list[int] = field(default_factory=lambda: [4, 8, 10, 6])  # services per layer, infra first
    max_deps: int = 2
    cascades: int = 8
    noise: int = 6
    duration_s: float = 6 * 3600.0
    instances: tuple[int, int] = (3, 6)  # alerting pods per affected service and alert
    spread_prob: float = 0.7  # chance a dependent of an affected service is affected too
    hop_delay_s: tuple[float, float] = (20.0, 240.0)
    flap_prob: float = 0.15
    dup_prob: float = 0.3  # chance a notification is delivered twice (HA pair, retries)
    tick_s: float = 30.0  # Alertmanager-like group_wait / group_interval
    group_by: list[str] = field(default_factory=lambda: ["alertname", "service"])
    generic_noise_share: float = 0.5  # share of noise alerts sent through the generic endpoint
    cluster: str = "prod-eu"
    # A service that alerted for one cause within this gap is not reused by another: an
    # incident reopens on recurrence within its cool-down plus reopen window by definition.
    recurrence_gap_s: float = 2400.0
    # Independent causes start where they are distinguishable: not downstream or upstream of
    # a service that is alerting right then (else any on-call engineer would link them).
    independent_roots: bool = True


@dataclass
class _Alert:
    labels: dict[str, str]
    truth: str
    start: float
    end: float
    flaps: list[tuple[float, float]] = field(default_factory=list)  # (resolve_at, refire_at)
    generic: bool = False


def build_graph(p: StormParams, rng: random.Random) -> tuple[list[list[str]], dict[str, list[str]]]:
    """Return services per layer and service -> upstream dependencies."""
    kinds = ["db", "cache", "queue"]
    layers: list[list[str]] = []
    for li, n in enumerate(p.layers):
        if li == 0:
            layers.append([f"{kinds[i % 3]}-{i}" for i in range(n)])
        else:
            prefix = "web" if li == len(p.layers) - 1 else "svc"
            layers.append([f"{prefix}-{li}{i}" for i in range(n)])
    deps: dict[str, list[str]] = {}
    for li in range(1, len(layers)):
        below = [s for layer in layers[:li] for s in layer]
        for svc in layers[li]:
            near = layers[li - 1]
            ups = {rng.choice(near)}
            while len(ups) < rng.randint(1, p.max_deps):
                ups.add(rng.choice(below))
            deps[svc] = sorted(ups)
    return layers, deps


def _alerts_for(svc: str, names: list[str], truth: str, t: float, dur: float, sev: str,
                p: StormParams, rng: random.Random, busy: dict[tuple, list[_Alert]]) -> list[_Alert]:
    out = []
    for name in names:
        for i in range(rng.randint(*p.instances)):
            labels = {"alertname": name, "service": svc, "severity": sev, "cluster": p.cluster,
                      "instance": f"{svc}-{i}:9100"}
            start = t + rng.uniform(0, 60)
            a = _Alert(labels, truth, start, start + dur * rng.uniform(0.8, 1.1))
            key = tuple(sorted(labels.items()))
            # The same label set firing twice at once is one alert, whatever caused it: the
            # generator skips such overlaps so that truth labels stay meaningful.
            if any(o.start - 600 < a.end and a.start < o.end + 600 for o in busy.get(key, [])):
                continue
            busy.setdefault(key, []).append(a)
            if rng.random() < p.flap_prob:
                if a.end - a.start > 400:  # resolve, then fire again well before the real end
                    r = rng.uniform(a.start + 60, a.end - 300)
                    a.flaps.append((r, r + rng.uniform(30, min(200.0, a.end - r - 60))))
            out.append(a)
    return out


def generate_alerts(p: StormParams) -> tuple[list[_Alert], dict[str, list[str]]]:
    """Return every alert of the storm with its truth label, and the dependency graph."""
    rng = random.Random(p.seed)
    layers, deps = build_graph(p, rng)
    dependents: dict[str, list[str]] = {}
    for svc, ups in deps.items():
        for u in ups:
            dependents.setdefault(u, []).append(svc)
    alerts: list[_Alert] = []
    busy: dict[tuple, list[_Alert]] = {}
    # service -> (start, end) spans during which some cascade already has it alerting. A
    # second cause reaching a service that already alerts adds nothing anyone could attribute,
    # so a cascade neither starts nor spreads there (the first cause keeps the symptom).
    taken: dict[str, list[tuple[float, float]]] = {}

    def free(svc: str, start: float, end: float) -> bool:
        end = start + 60 + (end - start) * 1.1  # the longest an alert of this span can last
        gap = p.recurrence_gap_s
        return not any(s - gap < end and start < e + gap for s, e in taken.get(svc, []))

    def claim(svc: str, new: list[_Alert]) -> list[_Alert]:
        if new:
            taken.setdefault(svc, []).append((min(a.start for a in new), max(a.end for a in new)))
        return new

    def linked(svc: str) -> set[str]:
        out, stack = set(), [svc]
        for edges in (deps, dependents):
            stack = list(edges.get(svc, []))
            while stack:
                s = stack.pop()
                if s not in out:
                    out.add(s)
                    stack.extend(edges.get(s, []))
        return out

    for c in range(p.cascades):
        truth = f"cascade-{c}"
        for _ in range(50):
            t0 = rng.uniform(0, p.duration_s * 0.85)
            dur = rng.uniform(600, 3600)
            root_layer = rng.choices(range(len(layers) - 1), weights=[max(1, 4 - i) for i in range(len(layers) - 1)])[0]
            root = rng.choice(layers[root_layer])
            related = linked(root) if p.independent_roots else set()
            if free(root, t0, t0 + dur) and all(free(s, t0, t0 + dur) for s in related):
                break
        else:
            continue
        kind = root.split("-")[0]
        names = rng.sample(ROOT_ALERTS[kind], k=rng.randint(1, 2))
        alerts += claim(root, _alerts_for(root, names, truth, t0, dur, "critical", p, rng, busy))
        frontier, seen = [(root, t0)], {root}
        while frontier:
            svc, t = frontier.pop()
            for d in dependents.get(svc, []):
                if d in seen or rng.random() > p.spread_prob:
                    continue
                seen.add(d)
                td = t + rng.uniform(*p.hop_delay_s)
                end = td + max(300.0, dur - (td - t0))
                if not free(d, td, end):
                    continue
                sym = rng.sample(SYMPTOMS, k=rng.randint(1, 2))
                alerts += claim(d, _alerts_for(d, sym, truth, td, end - td, "warning", p, rng, busy))
                frontier.append((d, td))
    every = [s for layer in layers for s in layer]
    for n in range(p.noise):
        svc = rng.choice(every)
        t = rng.uniform(0, p.duration_s * 0.95)
        a = _Alert({"alertname": rng.choice(NOISE_ALERTS), "service": svc, "severity": "warning",
                    "cluster": p.cluster, "instance": f"{svc}-0:9100"}, f"noise-{n}", t,
                   t + rng.uniform(300, 2400), generic=rng.random() < p.generic_noise_share)
        alerts.append(a)
    return alerts, deps


def _iso(base: datetime, t: float) -> str:
    return (base + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _state_changes(a: _Alert) -> list[tuple[float, str, float]]:
    """Return (time, status, occurrence start) for each transition of an alert."""
    ev = [(a.start, "firing", a.start)]
    start = a.start
    for r, f in a.flaps:
        ev += [(r, "resolved", start), (f, "firing", f)]
        start = f
    ev.append((a.end, "resolved", start))
    return ev


def deliveries(p: StormParams, base: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Yield labelled webhook deliveries in time order, like an Alertmanager HA pair would send."""
    base = base or datetime(2026, 11, 27, tzinfo=timezone.utc)
    alerts, _ = generate_alerts(p)
    rng = random.Random(p.seed + 1)
    changes = sorted((t, st, occ, i) for i, a in enumerate(alerts) for t, st, occ in _state_changes(a))
    current: dict[int, tuple[str, float, float | None]] = {}
    out: list[tuple[float, dict[str, Any]]] = []
    j = 0
    tick = 0.0
    while j < len(changes):
        tick += p.tick_s
        touched: dict[tuple, set[int]] = {}
        while j < len(changes) and changes[j][0] <= tick:
            t, st, occ, i = changes[j]
            current[i] = (st, occ, t if st == "resolved" else None)
            a = alerts[i]
            gkey = ("generic",) if a.generic else tuple(a.labels.get(k, "") for k in p.group_by)
            touched.setdefault(gkey, set()).add(i)
            j += 1
        for gkey, changed in touched.items():
            members = changed if gkey == ("generic",) else {
                i for i, (st, _, _) in current.items() if st == "firing" and alerts[i].labels.get("service")
                and tuple(alerts[i].labels.get(k, "") for k in p.group_by) == gkey} | changed
            out.extend(_bodies(p, base, tick, gkey, sorted(members), alerts, current, rng))
    out.sort(key=lambda x: x[0])
    for _, d in out:
        yield d


def _bodies(p: StormParams, base: datetime, tick: float, gkey: tuple, members: list[int],
            alerts: list[_Alert], current: dict, rng: random.Random) -> list[tuple[float, dict]]:
    items = []
    for i in members:
        st, occ, end = current[i]
        a = alerts[i]
        item = {"status": st, "labels": a.labels, "annotations": {"summary": f"{a.labels['alertname']} "
                f"on {a.labels['service']}"}, "startsAt": _iso(base, occ),
                "endsAt": _iso(base, end) if end is not None else ZERO,
                "incident_truth": a.truth}
        if not a.generic:
            item["generatorURL"] = "http://prometheus:9090/graph"
            item["fingerprint"] = fingerprint_of(a.labels, frozenset())
        items.append(item)
    if gkey == ("generic",):
        body: dict[str, Any] = {"source": "cron-monitor", "alerts": items}
        kind = "generic"
    else:
        gl = dict(zip(p.group_by, gkey))
        body = {"receiver": "opsbot", "status": "firing" if any(x["status"] == "firing" for x in items)
                else "resolved", "alerts": items, "groupLabels": gl, "commonLabels": {},
                "commonAnnotations": {}, "externalURL": "http://am-0:9093", "version": "4",
                "groupKey": "{}:{" + ",".join(f'{k}="{v}"' for k, v in gl.items()) + "}",
                "truncatedAlerts": 0}
        kind = "alertmanager"
    out = [(tick, {"at": _iso(base, tick), "source": kind, "body": body})]
    if rng.random() < p.dup_prob:
        twin = json.loads(json.dumps(body))
        if kind == "alertmanager":
            twin["externalURL"] = "http://am-1:9093"  # the HA peer sends its own copy
        later = tick + rng.uniform(0.1, 5.0)
        out.append((later, {"at": _iso(base, later), "source": kind, "body": twin}))
    return out


def header(p: StormParams) -> dict[str, Any]:
    """Return the first line of a storm file: the generator's params and the graph it used."""
    _, deps = generate_alerts(p)
    return {"kind": "storm", "params": asdict(p), "alerts_config": {"depends_on": deps}}
