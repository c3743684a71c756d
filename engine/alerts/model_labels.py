"""What an alert is about when it names no label the model knows: its label values, weighed by how rare they are.

An alert without a service (or entity_labels) label still says what it is about: `db="orders"`,
`dag_id="daily_revenue"`, `queue_name="orders-dlq"`, a probed URL. The model cannot know which of its
labels names the thing, so it reads all of them but those it reads elsewhere (alertname, namespace,
cluster/datacenter, node/host, zone/rack/circuit) and weighs each value by how few alert identities
carry it, learned online from the stream (an inverse document frequency): `env="prod"`,
`team="data"` or `job="postgres"` are on most alerts and say little, `db="orders"` on a few says a
lot. The feature label_match is the highest such weight among the values the alert shares with an
incident, times exp(-age/900 s) of the latest onset that carried it.

Where the alert runs: `instance` is taken for its machine (model_keys.location), but an instance on
which one alert name has fired for SHARED_SETS different label sets is a shared exporter or probe
(a scheduler's statsd exporter, a load balancer reporting every backend, a blackbox prober's
target), not a machine, and the model stops reading it as one. Counts are per model, kept from the
alerts that reach the model stage, and bounded.
"""

from __future__ import annotations

import math

from engine.alerts.model_keys import node_keys
from engine.alerts.model_keys import LV as LV, label_values as label_values  # re-exported

SHARED_SETS = 3  # label sets of one alert name on one instance that make it a shared exporter (set beforehand)
_MAX_IDS = 50_000  # identities remembered before the counts start again


class LabelStats:
    """Alert identities per label value and per (instance, alert name), learned from the stream."""

    __slots__ = ("seen", "per_value", "per_instance", "shared", "version")

    def __init__(self) -> None:
        self.seen: set[frozenset[tuple[str, str]]] = set()
        self.per_value: dict[str, int] = {}
        self.per_instance: dict[tuple[str, str], int] = {}
        self.shared: set[str] = set()
        self.version = 0  # moves whenever a count does (the batch memo keys on it)

    def observe(self, labels: dict[str, str], values: tuple[str, ...]) -> None:
        """Count one alert's identity (its label set) once."""
        ident = frozenset(labels.items())
        if ident in self.seen:
            return
        if len(self.seen) >= _MAX_IDS:  # bounded: start counting again
            self.seen.clear()
            self.per_value.clear()
            self.per_instance.clear()
        self.seen.add(ident)
        self.version += 1
        for v in values:
            self.per_value[v] = self.per_value.get(v, 0) + 1
        inst = labels.get("instance")
        if inst:
            k = (inst, labels.get("alertname", ""))
            n = self.per_instance[k] = self.per_instance.get(k, 0) + 1
            if n >= SHARED_SETS:
                self.shared.add(inst)

    def weight(self, value: str) -> float:
        """Return how much sharing this label value says: log(1 + N/n) / log(1 + N), in (0, 1]."""
        n_all = len(self.seen)
        n = self.per_value.get(value, 0)
        if n <= 1 or n_all <= 1:
            return 1.0
        return math.log1p(n_all / n) / math.log1p(n_all)

    def is_shared(self, labels: dict[str, str]) -> bool:
        """Return whether the alert's location would come from an instance that is a shared exporter or probe."""
        inst = labels.get("instance")
        return bool(inst) and inst in self.shared and not any(labels.get(k) for k in node_keys(labels))
