"""The grouping model: score each open incident for a new alert occurrence from a few explained features.

For an occurrence at time t and an open incident, the features (each in [0, 1]) are:

* onset_2m, onset_15m: exp(-gap/120 s) and exp(-gap/900 s), gap = t - the incident's last onset;
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
  service, namespace and topology;
* spread: exp(-age/180 s) of the latest first onset of a service in the incident (is it still
  reaching new services?);
* same_host, host_link: where the alert runs (model_keys.location: a node label, else the host of
  `instance`), exp(-age/900 s) of the incident's latest onset at the same node or host from an
  alert of the same kind (workload and workload, machine and machine), or of the other kind (a
  node or host alert and the workloads on it): co-location is topology no depends_on declares; an
  alert about the machine reads its workloads only when one began at or after it (cause before effect);
* same_domain, domain_link: the same for a failure domain coarser than a machine (model_keys.domains:
  a zone, rack or power circuit label): workloads in one zone (same_domain), or an alert about the
  zone or its machines and anything else in it (domain_link: its workloads, or a second machine or
  switch there failing too);
* unmapped: with a graph, exp(-age/900 s) of the incident's latest onset of a service that the
  graph cannot place next to the alert's (either side absent from depends_on): what the graph's
  silence is worth there (0 without a graph);
* anonymous: onset_15m for an alert that names nothing the model was told about (no service or
  entity_labels label, node/host or failure domain), else 0: what time alone is worth for it;
* label_match: for an alert with no service or entity_labels label, the highest weight
  (model_labels.LabelStats.weight: how few alert identities carry it) of a label value it shares with
  the incident, times exp(-age/900 s) of the latest onset that carried it. Such an alert's `instance`
  is not read as its machine once it is a shared exporter or probe (model_labels).

An alert with no service or entity_labels label may still have an entity: the label the stream shows
names things (model_entities: its values carried by several alert names, or named by depends_on).
The features of an entity (service, topology, cooccurrence, spread, unmapped) read it; anonymous and
label_match still apply, as no label the operator configured names it.

The score is a logistic regression over them (weights in model_weights.py, fitted on the seen
styles by `python tests/benchmarks/bench_grouping_family.py --fit`, see docs/grouping.md);
the alert joins the best candidate whose score reaches the threshold, else opens a new incident.
With no depends_on configured, the weights and threshold fitted without the topology features apply.
"""

from __future__ import annotations

import math
import operator
from functools import lru_cache
from typing import Iterable, Literal

from engine.alerts import model_weights as W
from engine.alerts.config import AlertsConfig
from engine.alerts.cooccurrence import CoOccurrence
from engine.alerts.model_keys import (AN, CL, KEY, LAST, LV, MACHINE, NAMESPACE, NS, SVC, UNMAPPED, domain_keys,
                                      entity, host_keys, incident_keys, label_values, neighbours, scope)
from engine.alerts.model_entities import NEVER, EntityStats
from engine.alerts.model_keys import Place, place as place_of
from engine.alerts.model_labels import LabelStats
# Re-exported: lifecycle.join writes memory_keys, corrections key alerts by group_key.
from engine.alerts.model_keys import group_key as group_key, memory_keys as memory_keys
from engine.alerts.model_explain import Scored, top2
from engine.alerts.model_features import LABEL_TAU_S as LABEL_TAU_S, SPREAD_TAU_S, Alert, features_of
from engine.alerts.model_explain import explain as explain  # re-exported: grouping names candidates
from engine.alerts.types import Incident, IncidentStatus

FEATURES = ("onset_2m", "onset_15m", "topology_1h", "topology_2h", "topology_3h", "service", "namespace",
            "alertname", "cooccurrence", "other_cluster", "spread", "same_host", "host_link", "same_domain", "domain_link",
            "unmapped", "anonymous", "label_match", "bias")
_RECENT = (1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14, 15, 16, 17)  # features bounded by exp(-gap/900 s): see _reach
_SPREAD = 10  # bounded by exp(-gap/180 s)
_HOST = (11, 12)  # same_host, host_link: 0 unless the incident has the alert's node or host
_DOMAIN = (13, 14)  # same_domain, domain_link: 0 unless the incident has one of the alert's domains
_ANON = 16  # anonymous: 0 unless the alert names nothing to place it by
_LM = 17  # label_match: 0 unless the alert has no entity (at most its best label value's weight)
_BIAS = len(FEATURES) - 1


def _last_onset(inc: Incident) -> float:
    t = inc.corr_keys.get(LAST)
    return t if t is not None else inc.last_activity_at.timestamp()


def _reach(w: tuple[float, ...], gap: float) -> float:
    # The features in _RECENT are at most exp(-gap/900 s): the incident's last onset is the latest
    # of the onsets they are measured from. So this bounds the logit of any candidate at that gap.
    return (max(0.0, w[0]) * math.exp(-gap / 120.0) + sum(max(0.0, w[i]) for i in _RECENT)
            * math.exp(-gap / 900.0) + max(0.0, w[_SPREAD]) * math.exp(-gap / SPREAD_TAU_S)
            + max(0.0, w[8]) + max(0.0, w[9]) + w[_BIAS])


def _onset_terms(gap: float) -> tuple[float, float]:
    """Return onset_2m and onset_15m: the features the gap gives exactly."""
    return math.exp(-gap / 120.0), math.exp(-gap / 900.0)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@lru_cache(maxsize=16)
def reach_horizon(weights: tuple[float, ...], threshold: float) -> float:
    """Return the gap since an incident's last onset beyond which it cannot score at the threshold."""
    logit = math.log(threshold / (1 - threshold)) if 0 < threshold < 1 else -math.inf
    last = -1.0
    for gap in range(0, 86401, 10):  # the last gap that still reaches, scanning all (no monotony assumed)
        if _reach(weights, gap) >= logit:
            last = gap + 10.0
    return math.inf if last >= 86400 else max(0.0, last)


class GroupingModel:
    """Weights, threshold and learned co-occurrence: what choose_incident scores candidates with."""

    def __init__(self, cfg: AlertsConfig, cooc: CoOccurrence | None = None,
                 weights: tuple[float, ...] | None = None, threshold: float | None = None) -> None:
        self.graph = bool(cfg.depends_on)
        self.weights = weights or (W.WITH_GRAPH if self.graph else W.WITHOUT_GRAPH)
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"grouping model: {len(self.weights)} weights for {len(FEATURES)} features")
        if threshold is None:
            threshold = W.THRESHOLD_WITH_GRAPH if self.graph else W.THRESHOLD_WITHOUT_GRAPH
        self.threshold = threshold
        self.cooc = cooc if cooc is not None else CoOccurrence()
        self.near = neighbours(cfg) if self.graph else {}
        self.trace: list[list[tuple[int, tuple[float, ...]]]] | None = None  # fitting only
        self._near_keys: dict[tuple[str, str], dict[str, tuple[str, int]]] = {}
        self._cooc_version = -1
        self._partner_cache: dict[str, tuple[tuple[tuple[str, float], ...], float]] = {}
        self.reach_s = reach_horizon(self.weights, self.threshold)
        th = self.threshold
        self._logit = math.log(th / (1 - th)) if 0 < th < 1 else (-math.inf if th <= 0 else math.inf)
        # Parts of the exact per-candidate bound (see rank): features bounded by exp(-gap/900 s)
        # after the three exact ones, and other_cluster + bias.
        # same_host and host_link are added per candidate, only when it has the alert's node or host.
        self._recent_w = sum(max(0.0, self.weights[i]) for i in _RECENT
                             if i > 1 and i not in _HOST + _DOMAIN + (_ANON, _LM))
        self.labels = LabelStats()
        self.entities = EntityStats()
        # Labels never read as an inferred entity: severity, and those the config already names.
        self._no_entity = NEVER | {cfg.severity_label, cfg.service_label, *cfg.entity_labels, *cfg.volatile_labels}
        self._host_w = tuple(max(0.0, self.weights[i]) for i in _HOST)
        self._dom_w = tuple(max(0.0, self.weights[i]) for i in _DOMAIN)
        self._rest_w = max(0.0, self.weights[9]) + self.weights[_BIAS]

    def place(self, cfg: AlertsConfig, labels: dict[str, str]) -> Place:
        """Return model_keys.place of an alert, its entity inferred from the stream when no configured label names one."""
        ent = entity(cfg, labels)
        if not ent:
            skip = self._no_entity
            self.entities.observe(labels, skip)
            ent = self.entities.infer(labels, skip, self.near)[1]
        return place_of(cfg, labels, ent)

    def entity_note(self, cfg: AlertsConfig, labels: dict[str, str], ent: str | None) -> str:
        """Return how `/ops why` names an inferred entity ('' when a configured label names it, or none is known)."""
        if not ent or entity(cfg, labels):
            return ""
        key = next((k for k, v in sorted(labels.items()) if v == ent and k not in self._no_entity), "")
        why = "a label depends_on names" if key in self.entities.graph_keys else "a label several alert names carry"
        return f"; entity {key}={ent} ({why})"

    def observe(self, cfg: AlertsConfig, labels: dict[str, str], ent: str | None = None) -> tuple[object, ...]:
        """Count an alert with no entity in the label statistics; return what a batch memo keys it by."""
        ent = entity(cfg, labels) if ent is None else ent
        if ent:
            return ()
        values = label_values(labels)
        self.labels.observe(labels, values)
        return values, self.labels.version

    def _unplaced(self, labels: dict[str, str], known: bool, cl: str,
                  hosts: tuple[str, str] | None) -> tuple[tuple[str, str] | None, tuple[tuple[str, float], ...]]:
        """Return the alert's host keys (None for a shared exporter's instance) and its label values' keys and weights.

        known: a configured label names its entity (an inferred entity leaves it unplaced: model_entities).
        """
        if known:
            return hosts, ()
        if hosts is not None and self.labels.is_shared(labels):
            hosts = None
        weight = self.labels.weight
        return hosts, tuple((f"{LV}{cl}|{v}", weight(v)) for v in label_values(labels))

    def context(self, cfg: AlertsConfig, labels: dict[str, str], ent: str | None = None,
                hosts: tuple[str, str] | None | Literal[False] = False,
                doms: tuple[tuple[str, ...], tuple[str, ...]] | None | Literal[False] = False,
                values: tuple[tuple[str, float], ...] | None = None) -> Alert:
        """Return what scoring reads from one occurrence, built once for all its candidates."""
        ent = entity(cfg, labels) if ent is None else ent
        cl, ns = scope(labels), labels.get(NAMESPACE)
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
        gk = group_key(cfg, labels, ent)
        # The learned partners of its group key, looked up once for all candidates.
        partners, best = self._partners(gk)
        known = bool(entity(cfg, labels))  # a configured label names it (else its entity, if any, is inferred)
        if hosts is False:  # not given by rank
            hosts, values = self._unplaced(labels, known, cl, host_keys(labels, ent, cl))
        if doms is False:
            doms = domain_keys(labels, ent, cl)
        # With a graph: is the alert's service placed in it? (None: no graph, nothing to say)
        mapped = (bool(ent) and ent in self.near) if self.near else None
        return Alert((f"{SVC}{cl}|{ent}" if ent else None, f"{NS}{cl}|{ns}" if ns else None,
                       AN + name if name else None), gk, near, CL + cl if cl else None, partners, best,
                      hosts or None, doms or None, mapped, UNMAPPED + cl,
                      not ent or (hosts is not None and hosts[0].startswith(MACHINE)),  # model_keys.about_infra
                      not known and not hosts and not doms, values or ())

    def _partners(self, gk: str) -> tuple[tuple[tuple[str, float], ...], float]:
        """Return the learned partners of a group key as (memory key, pair score), and the best score."""
        cooc = self.cooc
        if not len(cooc):
            return (), 0.0
        if self._cooc_version != cooc.version:
            self._cooc_version, self._partner_cache = cooc.version, {}
        got = self._partner_cache.get(gk)
        if got is None:
            pairs = tuple((KEY + p, v) for p, v in cooc.partners(gk).items())
            got = self._partner_cache[gk] = (pairs, max((v for _, v in pairs), default=0.0))
        return got

    def features(self, cfg: AlertsConfig, labels: dict[str, str], inc: Incident, ts: float) -> tuple[float, tuple[float, ...]]:
        """Return (gap since the incident's last onset, feature vector) for one candidate."""
        gap = max(0.0, ts - _last_onset(inc))
        return gap, features_of(self.context(cfg, labels), inc, ts, _onset_terms(gap))

    def score(self, f: Iterable[float]) -> float:
        """Return the probability-like score of a feature vector."""
        return _sigmoid(sum(map(operator.mul, self.weights, f)))

    def rank(self, cfg: AlertsConfig, labels: dict[str, str], candidates: Iterable[Incident],
             ts: float, ent: str | None = None) -> list[Scored]:
        """Return the best two open candidates, best first.

        A candidate whose exact upper bound (from its onset gap and best learned pair) cannot reach the
        threshold is not scored; if fewer than two were, the one with the highest bound is the
        runner-up, named with that bound instead of its features.
        """
        fit = self.trace is not None  # the fit (engine/lab/alerts/family_fit.py) reads every candidate
        reach = math.inf if fit else self.reach_s
        logit = -math.inf if fit else self._logit
        w = self.weights
        w0, w1, recent, rest = w[0], w[1], self._recent_w, self._rest_w
        spread_w = max(0.0, w[_SPREAD])
        resolved = IncidentStatus.RESOLVED
        a: Alert | None = None
        scored = []
        bound: tuple[float, float, Incident] | None = None  # (logit bound, gap, incident) of the best unscored
        far: tuple[float, Incident] | None = None  # (gap, incident) of the nearest beyond reach
        rest_bound: float | None = None
        hosts: tuple[str, str] | None = None
        doms: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        values: tuple[tuple[str, float], ...] = ()
        hw_same, hw_link = self._host_w
        dw_same, dw_link = self._dom_w
        for inc in candidates:
            if inc.status is resolved:
                continue
            t = inc.corr_keys.get(LAST)
            gap = ts - (t if t is not None else inc.last_activity_at.timestamp())
            gap = gap if gap > 0.0 else 0.0
            if gap > reach:  # cannot reach the threshold whatever its features
                if far is None or gap < far[0]:
                    far = (gap, inc)
                continue
            if rest_bound is None:  # with the best learned pair score of the alert's group key, once per alert
                known = entity(cfg, labels)
                ent = known if ent is None else ent
                rest_bound = rest + max(0.0, w[8]) * self._partners(group_key(cfg, labels, ent))[1]
                cl = scope(labels)
                hosts, values = self._unplaced(labels, bool(known), cl, host_keys(labels, ent, cl))
                doms = domain_keys(labels, ent, cl)
                if not known and hosts is None and doms is None:  # anonymous: its feature can be up to onset_15m
                    recent += max(0.0, w[_ANON])
                if values:  # label_match: at most its best value's weight times onset_15m
                    recent += max(0.0, w[_LM]) * max(v for _, v in values)
            onset = _onset_terms(gap)
            near_w = recent
            if hosts is not None:
                keys = inc.corr_keys
                near_w += (hw_same if hosts[0] in keys else 0.0) + (hw_link if hosts[1] in keys else 0.0)
            if doms is not None:
                keys = inc.corr_keys
                # An alert about infrastructure reads both sides as domain_link: bound it by either.
                near_w += ((dw_same if any(k in keys for k in doms[0]) else 0.0)
                           + (dw_link if any(k in keys for k in doms[0] + doms[1]) else 0.0))
            ub = w0 * onset[0] + (w1 + near_w) * onset[1] + spread_w * math.exp(-gap / SPREAD_TAU_S) + rest_bound
            if ub < logit:
                if bound is None or ub > bound[0]:
                    bound = (ub, gap, inc)
                continue
            if a is None:
                a = self.context(cfg, labels, ent, hosts, doms, values)
            f = features_of(a, inc, ts, onset)
            scored.append((max(-30.0, min(30.0, sum(map(operator.mul, w, f)))), inc, f, gap))
        if fit:
            self.trace.append([(x[1].id, x[2]) for x in scored])  # type: ignore[union-attr]
        out = [Scored(inc, f, gap, _sigmoid(z)) for z, inc, f, gap in top2(scored)]
        if len(out) < 2 and far is not None:
            far_bound = _reach(w, far[0])
            if bound is None or far_bound > bound[0]:
                bound = (far_bound, far[0], far[1])
        if len(out) < 2 and bound is not None:
            out.append(Scored(bound[2], (), bound[1], _sigmoid(bound[0])))
        return out

    def learn_closed(self, inc: Incident) -> None:
        """Learn from an incident that resolved: its group keys were together."""
        keys = incident_keys(inc)
        if len(keys) > 1:
            self.cooc.observe(keys, keys, together=True)
