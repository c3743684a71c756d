"""The grouping model's features of one candidate incident for one alert occurrence (model.py describes them)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.alerts.model_keys import ANY_CL
from engine.alerts.types import Incident

LABEL_TAU_S = 900.0
# The time scale of a cascade's hops (a dependent alerts about 30-150 s after what it calls): set
# from that, not fitted.
SPREAD_TAU_S = 180.0


def _latest(keys: dict[str, float], want: tuple[str, ...], ts: float) -> float:
    """Return exp(-age/900 s) of the latest onset among the memory keys wanted (0 if none is there)."""
    t = max((keys[k] for k in want if k in keys), default=None)
    return math.exp(min(0.0, t - ts) / LABEL_TAU_S) if t is not None else 0.0


def features_of(a: Alert, inc: Incident, ts: float, onset: tuple[float, float]) -> tuple[float, ...]:
    """Return the feature vector of one candidate incident for one occurrence (its onset terms given)."""
    keys = inc.corr_keys
    exp = math.exp
    topo = [0.0, 0.0, 0.0, 0.0]  # 1, 2, 3 hops away (index 1..3): exp(-age/900 s) of the latest onset
    near = a.near
    if near:
        # Walk the smaller side: the incident's services, or the alert's neighbourhood.
        services = inc.services
        pairs = [near[x] for x in services if x in near] if len(services) < len(near) else near.values()
        latest = [-math.inf] * 4
        for key, h in pairs:
            t = keys.get(key)
            if t is not None and t > latest[h]:
                latest[h] = t
        for h in (1, 2, 3):
            if latest[h] > -math.inf:
                topo[h] = exp(min(0.0, latest[h] - ts) / LABEL_TAU_S)
    sk, nk, ak = a.labels  # service, namespace, alertname (None: the alert has no such label)
    t = keys.get(sk) if sk is not None else None
    svc = exp(min(0.0, t - ts) / LABEL_TAU_S) if t is not None else 0.0
    t = keys.get(nk) if nk is not None else None
    ns = exp(min(0.0, t - ts) / LABEL_TAU_S) if t is not None else 0.0
    t = keys.get(ak) if ak is not None else None
    an = exp(min(0.0, t - ts) / LABEL_TAU_S) if t is not None else 0.0
    co = 0.0
    for pk, v in a.partners:
        if v > co and pk in keys:
            co = v
    other = 1.0 if a.cluster is not None and ANY_CL in keys and a.cluster not in keys else 0.0
    # Still spreading: how recently a service first fired in the incident. A cascade reaches a new
    # service every hop; an incident that only refires what it has is not spreading, so a new
    # service alerting then more likely starts something else. Never above exp(-gap/180 s): a
    # service's first onset is one of the incident's onsets.
    first = inc.services
    spread = exp(min(0.0, max(first.values()) - ts) / SPREAD_TAU_S) if first else 0.0
    same = link = unmapped = 0.0
    # A failure of infrastructure begins before the workloads it takes down alert: an alert about a
    # machine or domain links to workloads there only when one of them began at or after it (it was
    # delivered after its effects). Workloads that alerted before it belong to something earlier: a
    # long incident has workloads on every machine and in every zone.
    if a.hosts is not None:
        t = keys.get(a.hosts[0])
        same = exp(min(0.0, t - ts) / LABEL_TAU_S) if t is not None else 0.0
        t = keys.get(a.hosts[1])
        if t is not None:
            link = (1.0 if t >= ts else 0.0) if a.infra else exp(min(0.0, t - ts) / LABEL_TAU_S)
    dom = dlink = 0.0
    if a.domains is not None:
        work, infra = a.domains
        if a.infra:  # work: the workloads' keys, infra: the other infrastructure's (see domain_keys)
            dlink = max(_latest(keys, infra, ts), 1.0 if any(keys.get(k, -math.inf) >= ts for k in work) else 0.0)
        else:
            dom, dlink = _latest(keys, work, ts), _latest(keys, infra, ts)
    if a.mapped is not None:
        if not a.mapped:  # the graph knows nothing of this alert's service: as recent as the incident
            unmapped = onset[1]
        else:  # the latest onset in the incident of a service the graph does not have
            t = keys.get(a.unmapped_key)
            if t is not None:
                unmapped = exp(min(0.0, t - ts) / LABEL_TAU_S)
    # An alert that names nothing the model reads (no entity, machine or domain) can only be placed
    # by when it began: how much that is worth is fitted (onset_15m for it, else 0).
    anon = onset[1] if a.anonymous else 0.0
    lm = 0.0
    for k, wv in a.values:  # no entity: the rarest label value it shares with the incident, and how recently
        t = keys.get(k)
        if t is not None:
            v = wv * exp(min(0.0, t - ts) / LABEL_TAU_S)
            if v > lm:
                lm = v
    return (*onset, topo[1], topo[2], topo[3], svc, ns, an, co, other, spread, same, link, dom, dlink, unmapped,
            anon, lm, 1.0)


@dataclass(frozen=True, slots=True)
class Alert:
    """The keys one occurrence is looked up by in every candidate's memory."""

    labels: tuple[str | None, ...]  # memory keys of its service, namespace, alertname (None: no such label)
    group_key: str
    near: dict[str, tuple[str, int]]  # neighbour service -> (its memory key, hops)
    cluster: str | None  # memory key of its cluster (None: no cluster label)
    partners: tuple[tuple[str, float], ...]  # (memory key of a learned partner, pair score)
    best_partner: float  # the highest of those scores (0 with none): bounds cooccurrence
    hosts: tuple[str, str] | None  # memory keys of its node/host: same kind, other kind (None: no location)
    domains: tuple[tuple[str, ...], tuple[str, ...]] | None  # memory keys of its zone/rack/circuit: workloads, infrastructure
    mapped: bool | None  # its service is in the graph (None: no graph configured)
    unmapped_key: str  # the memory key of services the graph does not have, in its cluster
    infra: bool  # the alert is about infrastructure (a machine, a zone, rack or circuit)
    anonymous: bool  # it names no entity, node/host or failure domain
    values: tuple[tuple[str, float], ...]  # no entity: memory keys of its label values, with their weights
