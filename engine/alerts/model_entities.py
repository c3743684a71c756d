"""Which label names what is alerting, when an alert has no `service` or `entity_labels` label: learned from the stream.

A thing that is in trouble raises alerts of several kinds about itself: `component="checkout"`
carries both `APMLatencyHigh` and `APMErrorRateHigh`, `db="orders"` both `PostgresDown` and
`PostgresReplicationLagHigh`, `pipeline="daily_revenue"` both `TaskFailed` and `SLAMissed`. A label
key whose values are each carried by several alert names is an **entity label** for this stream,
and the model reads its value as the alert's entity (as it reads `service`): same-entity, learned
co-occurrence of alertname|entity, the incident's spread and, when `depends_on` names it, topology.

Not every label shared by alert names is an entity: `team`, `env`, a prober's region or a
database's `role` are attributes many things share. What tells them apart is how many alert
identities (label sets) of one alert name carry one value: an entity's value names one thing, so
one alert name fires for it once or for a few of its parts (a component's endpoints); an
attribute's value is carried by many things' alerts. A key is an entity label when at least
MIN_SHARED of its values were each carried by two or more alert names and its identities per
(alert name, value) are at most MAX_PER_VALUE (both set beforehand, not fitted). With several on one
alert, the one whose values are most often shared by alert names wins (then the key's name).

A declared graph is the operator naming the things: a label whose value is a service of
`depends_on` is the alert's entity at once, and its key is an entity label from then on (for the
values a partial graph leaves out).

Never read: the alert name, severity, `instance` and `job` (the exporter and scrape job, not the
thing), and what other features read (namespace, cluster/datacenter, node/host, zone/rack/pdu).
Counts are per model, from the alerts that reach the model stage, and bounded.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.alerts.model_keys import READ_ELSEWHERE, node_like

MIN_SHARED = 2  # values carried by two or more alert names that make a key an entity label (set beforehand)
MAX_PER_VALUE = 2.0  # most alert identities per (alert name, value) of an entity label (set beforehand)
GRAPH_VALUES = 2  # distinct values of a key that are services of depends_on that make it an entity label
_NAMES_CAP = 4  # alert names remembered per value: two is all the rule reads, a few for the share
_MAX_IDS = 50_000  # identities remembered before the counts start again
NEVER = frozenset({"instance", "job", *READ_ELSEWHERE})


class EntityStats:
    """Alert names per label value and identities per key, learned from the stream; the entity labels they make."""

    __slots__ = ("seen", "names", "pairs", "ids", "shared", "values", "graph_keys", "version", "_pick", "_graph_hits")

    def __init__(self) -> None:
        self.seen: set[frozenset[tuple[str, str]]] = set()
        self.names: dict[tuple[str, str], set[str]] = {}  # (key, value) -> alert names carrying it (capped)
        self.pairs: dict[str, set[tuple[str, str]]] = {}  # key -> (alert name, value) pairs seen
        self.ids: dict[str, int] = {}  # key -> identities carrying it
        self.shared: dict[str, int] = {}  # key -> values carried by two or more alert names
        self.values: dict[str, int] = {}  # key -> distinct values
        self.graph_keys: set[str] = set()  # keys with GRAPH_VALUES values that are services of depends_on
        self._graph_hits: dict[str, set[str]] = {}  # key -> its values that are services of depends_on (until a graph key)
        self.version = 0
        self._pick: dict[frozenset[str], str | None] = {}  # candidate keys -> entity label (per version)

    def observe(self, labels: dict[str, str], skip: frozenset[str]) -> None:
        """Count one alert identity (its label set) once."""
        ident = frozenset(labels.items())
        if ident in self.seen:
            return
        if len(self.seen) >= _MAX_IDS:  # bounded: start counting again
            self.__init__()  # type: ignore[misc]
        self.seen.add(ident)
        name = labels.get("alertname", "")
        moved = False
        for k, v in labels.items():
            if not v or k in skip or node_like(k):
                continue
            self.ids[k] = self.ids.get(k, 0) + 1
            pairs = self.pairs.setdefault(k, set())
            if (name, v) not in pairs:
                pairs.add((name, v))
                moved = True
            names = self.names.get((k, v))
            if names is None:
                names = self.names[(k, v)] = set()
                self.values[k] = self.values.get(k, 0) + 1
            if name not in names and len(names) < _NAMES_CAP:
                names.add(name)
                if len(names) == 2:
                    self.shared[k] = self.shared.get(k, 0) + 1
        if moved or self._pick:  # identities per value moved: the picks may have
            self.version += 1
            self._pick.clear()

    def is_entity_label(self, k: str) -> bool:
        """Return whether a key names things: shared by alert names, and specific to a thing."""
        if k in self.graph_keys:
            return True
        n = self.pairs.get(k)
        return (self.shared.get(k, 0) >= MIN_SHARED and n is not None
                and self.ids.get(k, 0) <= MAX_PER_VALUE * len(n))

    def infer(self, labels: dict[str, str], skip: frozenset[str], graph: Mapping[str, object]) -> tuple[str, str]:
        """Return (key, value) of the alert's entity label, or ('', '') when none is known."""
        keys = [k for k, v in labels.items() if v and k not in skip and not node_like(k)]
        if graph:
            for k in keys:
                if labels[k] in graph and k not in self.graph_keys:
                    hits = self._graph_hits.setdefault(k, set())
                    hits.add(labels[k])
                    if len(hits) >= GRAPH_VALUES:  # two services of the graph: not a coincidence of names
                        self.graph_keys.add(k)
                        self._pick.clear()
        fk = frozenset(keys)
        if fk in self._pick:
            got = self._pick[fk]
            return (got, labels[got]) if got is not None else ("", "")
        best: tuple[float, str] | None = None
        for k in keys:
            if self.is_entity_label(k):
                # A key the graph names comes first; then the share of its values several alert names carry.
                share = 2.0 if k in self.graph_keys else self.shared.get(k, 0) / max(1, self.values.get(k, 1))
                if best is None or (share, k) > best:  # ties: the key's name, so the pick is deterministic
                    best = (share, k)
        if len(self._pick) > 10_000:  # bounded: the label-key sets of a stream
            self._pick.clear()
        self._pick[fk] = best[1] if best else None
        return (best[1], labels[best[1]]) if best else ("", "")
