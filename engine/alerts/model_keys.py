"""What the grouping model remembers on an incident (its corr_keys) and reads from an alert.

An incident's memory maps a key to the latest onset time that refreshed it (lifecycle.join writes
memory_keys of every alert that joins): its last onset, its clusters, alertnames, services and
namespaces (scoped by cluster), the nodes or hosts and failure domains (zone, rack) its alerts ran
in, and its co-occurrence group keys. The service graph's
neighbourhoods (1-3 hops through depends_on, either direction) are computed once per graph.
"""

from __future__ import annotations

from functools import lru_cache

from engine.alerts.config import AlertsConfig
from engine.alerts.types import Incident

MEM = "m|"  # prefix of the model's memory in an incident's corr_keys
SVC, NS, CL, AN, KEY = "m|svc|", "m|ns|", "m|cl|", "m|an|", "m|k|"
ANY_CL = "m|cl"  # set when an alert of the incident named a cluster
LAST = "m|last"  # the incident's last onset (last_activity_at as a float: read per candidate per alert)
MAX_HOPS = 3
NAMESPACE, CLUSTER = "namespace", "cluster"
# Where an alert runs: a node or host it names. Workloads there, and alerts about the machine itself.
WORK, MACHINE = "m|loc|", "m|mach|"
LOCATION_PREFIXES = (WORK, MACHINE)  # memory keys of a node or host
UNMAPPED = "m|unmapped|"  # + cluster: an alert of a service the configured graph does not have
NODE_LABELS = ("node", "kubernetes_node", "nodename", "hostname", "host")
_NODE_SET = frozenset(NODE_LABELS)
# A node label as exporters spell it: the names above in any case and with any separators
# (DCGM's `Hostname`, `node_name`, `HOST`), and Prometheus' `exported_` prefix for a target's own.
_NODE_NORM = frozenset(k.replace("_", "") for k in NODE_LABELS)
_NODE_KEYS: dict[tuple[str, ...], tuple[str, ...]] = {}


@lru_cache(maxsize=4096)
def node_like(key: str) -> bool:
    """Return whether a label key names the node or host an alert runs on (in any spelling)."""
    norm = "".join(c for c in key.lower() if c.isalnum())
    return norm.removeprefix("exported") in _NODE_NORM


def node_keys(labels: dict[str, str]) -> tuple[str, ...]:
    """Return the alert's node labels, the usual names first (in NODE_LABELS' order), then other spellings."""
    keys = tuple(labels)
    got = _NODE_KEYS.get(keys)
    if got is None:
        if len(_NODE_KEYS) > 10_000:  # bounded: the label-key sets of a stream
            _NODE_KEYS.clear()
        usual = [k for k in NODE_LABELS if k in labels]
        got = _NODE_KEYS[keys] = (*usual, *sorted(k for k in keys if k not in _NODE_SET and node_like(k)))
    return got
# Failure domains coarser than a machine: what many machines share and can lose at once. Per kind,
# the labels that name it (the first present counts): a zone as cloud providers, Kubernetes'
# well-known node labels (Prometheus-sanitised) and common exporters name it, a rack as on-premises
# inventories and rack-aware systems (Kafka's broker.rack, Cassandra, HDFS) do, a power circuit as
# DCIM and node inventories label a server's PDU. Regions and datacenters are not among them: they
# are most deployments' whole world, like a cluster (a datacenter scopes like one: see scope).
DOMAIN_LABELS = (("zone", ("zone", "availability_zone", "topology_kubernetes_io_zone",
                           "failure_domain_beta_kubernetes_io_zone")), ("rack", ("rack",)), ("power", ("pdu",)))
_DOMAIN_SET = frozenset(k for _, names in DOMAIN_LABELS for k in names)
DOM_WORK, DOM_INFRA = "m|dom|", "m|domi|"  # + cluster|kind=value: a workload there, an alert about infrastructure


# What the model reads of an alert that names no entity: its other label values (model_labels.py).
LV = "m|lv|"  # + cluster|key=value, in an incident's memory


def label_values(labels: dict[str, str]) -> tuple[str, ...]:
    """Return the `key=value` pairs of an alert the model reads only as label values (sorted)."""
    return tuple(sorted(f"{k}={v}" for k, v in labels.items() if v and k not in _READ_ELSEWHERE and not node_like(k)))


def entity(cfg: AlertsConfig, labels: dict[str, str]) -> str:
    """Return what is alerting: the service label, else the first entity label present, else ''."""
    v = labels.get(cfg.service_label)  # the common case, without building the list of names
    if v:
        return v
    for k in cfg.entity_labels:
        v = labels.get(k)
        if v:
            return v
    return ""


# What scopes services, namespaces and the graph: a deployment of its own. The cluster label, else
# the datacenter: fleets without Kubernetes name their sites that way, each running the same service
# names (a service alerting in two datacenters is two failures, not one).
SCOPE_LABELS = (CLUSTER, "datacenter")
_READ_ELSEWHERE = frozenset({"alertname", NAMESPACE, *SCOPE_LABELS, *NODE_LABELS, *_DOMAIN_SET})
READ_ELSEWHERE = _READ_ELSEWHERE  # labels that name no entity (model_entities)


def scope(labels: dict[str, str]) -> str:
    """Return the deployment an alert is in: its cluster, else its datacenter, else ''."""
    for k in SCOPE_LABELS:
        v = labels.get(k)
        if v:
            return v
    return ""


def group_key(cfg: AlertsConfig, labels: dict[str, str], ent: str | None = None) -> str:
    """Return the co-occurrence key of an alert: alertname|entity."""
    return f"{labels.get('alertname', '')}|{entity(cfg, labels) if ent is None else ent}"


def _host_of(instance: str) -> str:
    """Return the host part of a scrape target (`host:port`, `[v6]:port`, `host`), lower-cased."""
    host, sep, port = instance.rpartition(":")
    if not sep or not port.isdigit():
        host = instance
    return host.strip("[]").lower()


def location(labels: dict[str, str], ent: str) -> tuple[str, bool] | None:
    """Return (node or host the alert runs on, whether the alert is about that machine itself), or None.

    The node or host is the first node label present, else the host part of `instance`. The alert is
    about the machine when it names no workload on it: no `pod` or `container`, and either no
    service (a node_exporter alert) or a `node` label without a pod (kube-state-metrics' node alerts).
    A pod's alert without a node label has no location: its `instance` is the exporter that saw the
    pod (kube-state-metrics, a blackbox prober), shared by every pod it reports on, not a machine
    the pod runs on.
    """
    pod = labels.get("pod")
    on_workload = bool(pod or labels.get("container"))
    for k in node_keys(labels):
        v = labels.get(k)
        if v:
            return v.lower(), not on_workload and (not ent or k == "node")
    if pod:
        return None
    inst = labels.get("instance")
    host = _host_of(inst) if inst else ""
    return (host, not on_workload and not ent) if host else None


def location_key(cl: str, loc: tuple[str, bool], same: bool) -> str:
    """Return the memory key of a location: of the alert's own kind (same) or of the other kind."""
    return f"{MACHINE if loc[1] == same else WORK}{cl}|{loc[0]}"


def host_keys(labels: dict[str, str], ent: str, cl: str) -> tuple[str, str] | None:
    """Return the memory keys of the alert's node or host: of its own kind, of the other kind (None: none)."""
    loc = location(labels, ent)
    return (location_key(cl, loc, True), location_key(cl, loc, False)) if loc is not None else None


def domains(labels: dict[str, str]) -> tuple[str, ...]:
    """Return the failure domains an alert names, as `kind=value` (lower-cased), at most one per kind."""
    if _DOMAIN_SET.isdisjoint(labels):  # one C-level test for the common case: no domain label
        return ()
    out: tuple[str, ...] = ()
    for kind, names in DOMAIN_LABELS:
        for k in names:
            v = labels.get(k)
            if v:
                out += (f"{kind}={v.lower()}",)
                break
    return out


def about_infra(ent: str, loc: tuple[str, bool] | None) -> bool:
    """Return whether an alert is about infrastructure (no workload named, or about its machine)."""
    return not ent or (loc is not None and loc[1])


DomainKeys = tuple[tuple[str, ...], tuple[str, ...]]


def _domain_keys(doms: tuple[str, ...], ent: str, loc: tuple[str, bool] | None, cl: str) -> DomainKeys | None:
    if not doms:
        return None
    own, other = (DOM_INFRA, DOM_WORK) if about_infra(ent, loc) else (DOM_WORK, DOM_INFRA)
    return tuple(f"{own}{cl}|{d}" for d in doms), tuple(f"{other}{cl}|{d}" for d in doms)


def domain_keys(labels: dict[str, str], ent: str, cl: str) -> DomainKeys | None:
    """Return the memory keys of the workloads and of the infrastructure in the alert's failure domains (None: none).

    A workload reads workloads there (same_domain) and the domain's infrastructure (domain_link). An
    alert about infrastructure reads everything there as domain_link: a second machine or switch
    failing in one rack or power circuit is the domain failing, as much as its workloads are.
    """
    doms = domains(labels)
    keys = _domain_keys(doms, ent, location(labels, ent), cl) if doms else None
    if keys is None:
        return None
    own, other = keys
    return keys if own[0].startswith(DOM_WORK) else (other, own)


# Where an alert is, read once per alert: (entity, cluster or '', location, host_keys, domain_keys).
# The group stage builds it and the model's memo key and lifecycle.join's memory keys read it.
Place = tuple[str, str, "tuple[str, bool] | None", "tuple[str, str] | None", "DomainKeys | None"]


def place(cfg: AlertsConfig, labels: dict[str, str], ent: str | None = None) -> Place:
    """Return (entity, cluster or '', location, host_keys, domain_keys) of one alert, computed once for every stage.

    `ent`: the entity when the caller knows it (GroupingModel.place: an inferred entity label).
    """
    ent = entity(cfg, labels) if ent is None else ent
    cl = scope(labels)
    loc = location(labels, ent)
    doms = _domain_keys(domains(labels), ent, loc, cl)
    if loc is None:
        return ent, cl, None, None, doms
    return ent, cl, loc, (location_key(cl, loc, True), location_key(cl, loc, False)), doms


# memory_keys without the location key, by everything they read: a storm's alerts are on many
# machines (one key each) but share a few of these.
_KEYS: dict[tuple[object, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def memory_key_parts(cfg: AlertsConfig, labels: dict[str, str],
                     where: Place | None = None) -> tuple[tuple[str, ...], str | None, tuple[str, ...]]:
    """Return memory_keys in three parts: the keys before the location's, the location's (or None), the rest.

    The first and last parts are shared by every alert of the same service, name, namespace and
    failure domains.
    """
    ent, cl, _, hosts, doms = place(cfg, labels) if where is None else where
    unmapped = bool(cfg.depends_on) and bool(ent) and ent not in neighbours(cfg)
    # The domains' own-kind keys hold the domains and about_infra(entity, location) (scoped by cluster).
    own = doms[0] if doms is not None else ()
    # An alert with no entity is remembered by its label values too (model_labels: label_match).
    # (also when its entity is inferred, not configured: GroupingModel.place)
    lv = () if entity(cfg, labels) else tuple(f"{LV}{cl}|{v}" for v in label_values(labels))
    sig = (cl, ent, labels.get("alertname"), labels.get(NAMESPACE), unmapped, own, lv)
    got = _KEYS.get(sig)
    if got is None:
        if len(_KEYS) > 10_000:  # bounded: clusters x entities x names x namespaces x domains seen
            _KEYS.clear()
        got = _KEYS[sig] = _memory_keys(cfg, labels, cl, ent, unmapped, own + lv)
    return got[0], hosts[0] if hosts is not None else None, got[1]


def memory_keys(cfg: AlertsConfig, labels: dict[str, str], where: Place | None = None) -> tuple[str, ...]:
    """Return the corr_keys an occurrence refreshes (with its onset time) on the incident it joins."""
    head, loc, tail = memory_key_parts(cfg, labels, where)
    return (*head, loc, *tail) if loc is not None else head + tail


def _memory_keys(cfg: AlertsConfig, labels: dict[str, str], cl: str, ent: str,
                 unmapped: bool, doms: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    # doms: its failure domains' keys of its own kind, then (no entity) its label values' keys.
    # cl is '' for alerts without a cluster: it scopes their services together.
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
    # The location's key goes here (memory_key_parts), then its failure domains' (of its own kind):
    return tuple(out), ((UNMAPPED + cl,) if unmapped else ()) + doms


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


# neighbours() by the graph object: memory_key_parts asks once per alert, and sorting the graph
# into _hops' key cost more than the lookup. The entry holds the dict, so its id is not reused
# while cached; the config is frozen, so its graph is the same object for its whole life.
_NEAR: dict[int, tuple[dict[str, list[str]], dict[str, tuple[tuple[str, int], ...]]]] = {}


def neighbours(cfg: AlertsConfig) -> dict[str, tuple[tuple[str, int], ...]]:
    """Return the service neighbourhoods of the configured graph (cached per graph)."""
    graph = cfg.depends_on
    got = _NEAR.get(id(graph))
    if got is not None and got[0] is graph:
        return got[1]
    near = _hops(tuple(sorted((k, tuple(v)) for k, v in graph.items())))
    if len(_NEAR) > 64:  # bounded: a process sees a few configs (tests build many)
        _NEAR.clear()
    _NEAR[id(graph)] = (graph, near)
    return near
