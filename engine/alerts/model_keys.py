"""What the grouping model remembers on an incident (its corr_keys) and reads from an alert.

An incident's memory maps a key to the latest onset time that refreshed it (lifecycle.join writes
memory_keys of every alert that joins): its last onset, its clusters, alertnames, services and
namespaces (scoped by cluster) and its co-occurrence group keys. The service graph's
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
    for k in NODE_LABELS:
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


_KEYS: dict[tuple[object, ...], tuple[str, ...]] = {}  # memory_keys by everything they read


def memory_keys(cfg: AlertsConfig, labels: dict[str, str]) -> tuple[str, ...]:
    """Return the corr_keys an occurrence refreshes (with its onset time) on the incident it joins."""
    cl = labels.get(CLUSTER, "")  # '' scopes services of alerts without a cluster together
    ent = entity(cfg, labels)
    # Every alert that joins asks; a storm's alerts share a few answers, built once.
    loc = location(labels, ent)
    unmapped = bool(cfg.depends_on) and bool(ent) and ent not in neighbours(cfg)
    sig = (cl, ent, labels.get("alertname"), labels.get(NAMESPACE), loc, unmapped)
    got = _KEYS.get(sig)
    if got is None:
        if len(_KEYS) > 10_000:  # bounded: clusters x entities x names x namespaces x hosts seen
            _KEYS.clear()
        got = _KEYS[sig] = tuple(_memory_keys(cfg, labels, cl, ent, loc, unmapped))
    return got


def _memory_keys(cfg: AlertsConfig, labels: dict[str, str], cl: str, ent: str,
                 loc: tuple[str, bool] | None, unmapped: bool) -> list[str]:
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
    if loc is not None:
        out.append(location_key(cl, loc, True))
    if unmapped:
        out.append(UNMAPPED + cl)
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
