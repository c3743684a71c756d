"""The grouping model: score each open incident for a new alert occurrence from a few explained features.

For an occurrence at time t and an open incident, the features (each in [0, 1]) are:

* onset_2m, onset_15m: exp(-gap/120 s) and exp(-gap/900 s), gap = t - the incident's last onset;
* young: exp(-age/900 s), age = t - when the incident opened (at least the gap): a cascade climbs
  its call graph in minutes, an incident that keeps taking onsets for long may be absorbing others;
* topology_1h, topology_2h, topology_3h: for the incident's services 1, 2 or 3 hops away through
  depends_on (either direction, same cluster), exp(-age/900 s) of the latest such onset; the fit
  decides how much each distance is worth instead of a fixed decay;
* service, namespace, alertname: exp(-age/900 s) of the last onset in the incident with the same
  value (service and namespace within the same cluster), 0 if none - or if the alert has no such
  label: a missing label is unknown, never a match;
* cooccurrence: learned share of incidents in which the alert's group key (alertname|service)
  was together with one of the incident's keys (engine/alerts/cooccurrence.py);
* other_cluster: 1 when the alert names a cluster and the incident's alerts named clusters, none
  of them this one (another deployment); 0 otherwise, including when either side has none.
  Sharing a cluster is no evidence by itself (most deployments have one): it only scopes
  service, namespace and topology.

The score is a logistic regression over them (weights in model_weights.py, fitted on the training
styles by `python tests/benchmarks/bench_grouping_family.py --fit`, see docs/grouping.md);
the alert joins the best candidate whose score reaches the threshold, else opens a new incident.
With no depends_on configured, weights fitted without the topology features apply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from engine.alerts import model_weights as W
from engine.alerts.config import AlertsConfig
from engine.alerts.cooccurrence import CoOccurrence
from engine.alerts.types import Incident, IncidentStatus

FEATURES = ("onset_2m", "onset_15m", "young", "topology_1h", "topology_2h", "topology_3h", "service", "namespace",
            "alertname", "cooccurrence", "other_cluster", "bias")
MEM = "m|"  # prefix of the model's memory in an incident's corr_keys
SVC, NS, CL, AN, KEY = "m|svc|", "m|ns|", "m|cl|", "m|an|", "m|k|"
ANY_CL = "m|cl"  # set when an alert of the incident named a cluster
LAST = "m|last"  # the incident's last onset (last_activity_at as a float: read per candidate per alert)
MAX_HOPS = 3
LABEL_TAU_S = 900.0
NAMESPACE, CLUSTER = "namespace", "cluster"
_RECENT = (1, 2, 3, 4, 5, 6, 7, 8)  # features bounded by exp(-gap/900 s): see _reach


def entity(cfg: AlertsConfig, labels: dict[str, str]) -> str:
    """Return what is alerting: the service label, else the first entity label present, else ''."""
    for k in (cfg.service_label, *cfg.entity_labels):
        v = labels.get(k)
        if v:
            return v
    return ""


def group_key(cfg: AlertsConfig, labels: dict[str, str], ent: str | None = None) -> str:
    """Return the co-occurrence key of an alert: alertname|entity."""
    return f"{labels.get('alertname', '')}|{entity(cfg, labels) if ent is None else ent}"


def memory_keys(cfg: AlertsConfig, labels: dict[str, str]) -> list[str]:
    """Return the corr_keys an occurrence refreshes (with its onset time) on the incident it joins."""
    cl = labels.get(CLUSTER, "")  # '' scopes services of alerts without a cluster together
    ent = entity(cfg, labels)
    out = [LAST, KEY + group_key(cfg, labels, ent)]
    if cl:
        out += [ANY_CL, CL + cl]
    name = labels.get("alertname")
    if name:
        out.append(AN + name)
    if ent:
        out.append(f"{SVC}{cl}|{ent}")
    ns = labels.get(NAMESPACE)
    if ns:
        out.append(f"{NS}{cl}|{ns}")
    return out


def incident_keys(inc: Incident) -> list[str]:
    """Return the co-occurrence keys an incident's alerts carried."""
    return [k[len(KEY):] for k in inc.corr_keys if k.startswith(KEY)]


@lru_cache(maxsize=64)
def _hops(depends_on: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, tuple[tuple[str, int], ...]]:
    """Return service -> (other service, hops) within MAX_HOPS through the graph, either direction."""
    adj: dict[str, set[str]] = {}
    for svc, ups in depends_on:
        for u in ups:
            adj.setdefault(svc, set()).add(u)
            adj.setdefault(u, set()).add(svc)
    out: dict[str, tuple[tuple[str, int], ...]] = {}
    for start in adj:
        seen, frontier, near = {start}, [start], []
        for h in range(1, MAX_HOPS + 1):
            nxt = []
            for s in frontier:
                for n in adj[s]:
                    if n not in seen:
                        seen.add(n)
                        nxt.append(n)
                        near.append((n, h))
            frontier = nxt
        out[start] = tuple(near)
    return out


def neighbours(cfg: AlertsConfig) -> dict[str, tuple[tuple[str, int], ...]]:
    """Return the service neighbourhoods of the configured graph (cached per graph)."""
    return _hops(tuple(sorted((k, tuple(v)) for k, v in cfg.depends_on.items())))


def _last_onset(inc: Incident) -> float:
    t = inc.corr_keys.get(LAST)
    return t if t is not None else inc.last_activity_at.timestamp()


def _reach(w: tuple[float, ...], gap: float) -> float:
    # The features in _RECENT are at most exp(-gap/900 s): the incident's last onset is the latest
    # of the onsets they are measured from. So this bounds the logit of any candidate at that gap.
    return (max(0.0, w[0]) * math.exp(-gap / 120.0) + sum(max(0.0, w[i]) for i in _RECENT)
            * math.exp(-gap / 900.0) + max(0.0, w[9]) + max(0.0, w[10]) + w[11])


@lru_cache(maxsize=16)
def reach_horizon(weights: tuple[float, ...], threshold: float) -> float:
    """Return the gap since an incident's last onset beyond which it cannot score at the threshold."""
    logit = math.log(threshold / (1 - threshold)) if 0 < threshold < 1 else -math.inf
    last = -1.0
    for gap in range(0, 86401, 10):  # the last gap that still reaches, scanning all (no monotony assumed)
        if _reach(weights, gap) >= logit:
            last = gap + 10.0
    return math.inf if last >= 86400 else max(0.0, last)


@dataclass(frozen=True, slots=True)
class Scored:
    """One candidate incident with its features and score."""

    incident: Incident
    features: tuple[float, ...]
    gap_s: float
    score: float


class GroupingModel:
    """Weights, threshold and learned co-occurrence: what choose_incident scores candidates with."""

    def __init__(self, cfg: AlertsConfig, cooc: CoOccurrence | None = None,
                 weights: tuple[float, ...] | None = None, threshold: float | None = None) -> None:
        self.graph = bool(cfg.depends_on)
        self.weights = weights or (W.WITH_GRAPH if self.graph else W.WITHOUT_GRAPH)
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"grouping model: {len(self.weights)} weights for {len(FEATURES)} features")
        self.threshold = W.THRESHOLD if threshold is None else threshold
        self.cooc = cooc if cooc is not None else CoOccurrence()
        self.near = neighbours(cfg) if self.graph else {}
        self.trace: list[list[tuple[int, tuple[float, ...]]]] | None = None  # fitting only
        self._near_keys: dict[tuple[str, str], dict[str, tuple[str, int]]] = {}
        self.reach_s = reach_horizon(self.weights, self.threshold)

    def context(self, cfg: AlertsConfig, labels: dict[str, str]) -> "_Alert":
        """Return what scoring reads from one occurrence, built once for all its candidates."""
        cl, ent, ns = labels.get(CLUSTER, ""), entity(cfg, labels), labels.get(NAMESPACE)
        near: dict[str, tuple[str, int]] = {}
        if ent and self.near:
            ck = (cl, ent)
            got = self._near_keys.get(ck)
            if got is None:
                if len(self._near_keys) > 10_000:  # bounded: services x clusters seen
                    self._near_keys.clear()
                got = self._near_keys[ck] = {o: (f"{SVC}{cl}|{o}", h) for o, h in self.near.get(ent, ())}
            near = got
        name = labels.get("alertname")
        return _Alert((f"{SVC}{cl}|{ent}" if ent else None, f"{NS}{cl}|{ns}" if ns else None,
                       AN + name if name else None), group_key(cfg, labels, ent), near, CL + cl if cl else None)

    def features(self, cfg: AlertsConfig, labels: dict[str, str], inc: Incident, ts: float) -> tuple[float, tuple[float, ...]]:
        """Return (gap since the incident's last onset, feature vector) for one candidate."""
        return self._features(self.context(cfg, labels), inc, ts)

    def _features(self, a: "_Alert", inc: Incident, ts: float) -> tuple[float, tuple[float, ...]]:
        keys = inc.corr_keys
        gap = ts - _last_onset(inc)
        gap = gap if gap > 0.0 else 0.0
        exp = math.exp
        latest = [-math.inf, -math.inf, -math.inf, -math.inf]  # latest onset 1, 2, 3 hops away (index 1..3)
        near = a.near
        if near:
            # Walk the smaller side: the incident's services, or the alert's neighbourhood.
            pairs = (near[x] for x in inc.services if x in near) if len(inc.services) < len(near) \
                else near.values()
            for key, h in pairs:
                t = keys.get(key)
                if t is not None and t > latest[h]:
                    latest[h] = t
        topo = [exp(min(0.0, t - ts) / LABEL_TAU_S) if t > -math.inf else 0.0 for t in latest[1:]]
        fresh = []
        for lk in a.labels:  # service, namespace, alertname
            t = keys.get(lk) if lk is not None else None
            fresh.append(exp(min(0.0, t - ts) / LABEL_TAU_S) if t is not None else 0.0)
        co = self.cooc.score(a.group_key, _KeyView(keys)) if len(self.cooc) else 0.0
        other = 1.0 if a.cluster is not None and ANY_CL in keys and a.cluster not in keys else 0.0
        # The incident's age: a cascade climbs its graph in minutes, so an old incident whose last
        # onset is recent is more likely absorbing something else (never below the gap: see _reach).
        age = ts - inc.opened_at.timestamp()
        age = age if age > gap else gap
        return gap, (exp(-gap / 120.0), exp(-gap / 900.0), exp(-age / 900.0), *topo, *fresh, co, other, 1.0)

    def score(self, f: Iterable[float]) -> float:
        """Return the probability-like score of a feature vector."""
        z = 0.0
        for w, x in zip(self.weights, f):
            z += w * x
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def rank(self, cfg: AlertsConfig, labels: dict[str, str], candidates: Iterable[Incident],
             ts: float) -> list[Scored]:
        """Return open candidates that can reach the threshold, scored, best first (else the nearest one)."""
        near: list[Incident] = []
        far: tuple[float, Incident] | None = None
        resolved = IncidentStatus.RESOLVED
        reach = self.reach_s if self.trace is None else math.inf
        for inc in candidates:
            if inc.status is resolved:
                continue
            t = inc.corr_keys.get(LAST)
            gap = ts - (t if t is not None else inc.last_activity_at.timestamp())
            if gap <= reach:
                near.append(inc)
            elif far is None or gap < far[0]:
                # Cannot reach the threshold: skip the features, remember the nearest for the runner-up.
                far = (gap, inc)
        out = []
        if near:
            a = self.context(cfg, labels)
            for inc in near:
                gap, f = self._features(a, inc, ts)
                out.append(Scored(inc, f, gap, self.score(f)))
            if len(out) > 1:
                out.sort(key=lambda s: (s.score, s.incident.last_activity_at, s.incident.id), reverse=True)
        if len(out) < 2 and far is not None:
            # Named with the bound on its score, not its features: it cannot reach the threshold.
            bound = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, _reach(self.weights, far[0])))))
            out.append(Scored(far[1], (), far[0], bound))
        if self.trace is not None:  # the fit (engine/lab/alerts/family_fit.py) reads every candidate
            self.trace.append([(s.incident.id, s.features) for s in out])
        return out

    def learn_closed(self, inc: Incident) -> None:
        """Learn from an incident that resolved: its group keys were together."""
        keys = incident_keys(inc)
        if len(keys) > 1:
            self.cooc.observe(keys, keys, together=True)


@dataclass(frozen=True, slots=True)
class _Alert:
    """The keys one occurrence is looked up by in every candidate's memory."""

    labels: tuple[str | None, ...]  # memory keys of its service, namespace, alertname (None: no such label)
    group_key: str
    near: dict[str, tuple[str, int]]  # neighbour service -> (its memory key, hops)
    cluster: str | None  # memory key of its cluster (None: no cluster label)


class _KeyView:
    """`key in view` asks whether an incident's memory holds that co-occurrence key."""

    __slots__ = ("keys",)

    def __init__(self, keys: dict[str, float]) -> None:
        self.keys = keys

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and KEY + key in self.keys


_SHORT = ("onset", "", "young", "topology 1 hop", "topology 2 hops", "topology 3 hops", "service", "namespace", "alertname",
          "co-occurrence", "other cluster")


def explain(s: Scored) -> str:
    """Return one candidate's score and features in a line a person can read."""
    if not s.features:
        return f"#{s.incident.id} score <= {s.score:.2f} (last onset {s.gap_s:.0f}s ago: too long to reach the threshold)"
    parts = [f"last onset {s.gap_s:.0f}s ago"] + [
        f"{name} {v:.2f}" for name, v in zip(_SHORT[2:], s.features[2:11]) if v >= 0.005]
    return f"#{s.incident.id} score {s.score:.2f} ({', '.join(parts)})"
