"""The twelfth held-out storm style (tenant-cells): what it generates, not how Opsbot scores on it."""

from __future__ import annotations

from collections import defaultdict

from engine.lab.alerts.family_holdout12 import IDP_DOWN, holdout12_knobs, holdout12_storm


def test_tenant_rules_dominate_and_an_identity_outage_spans_cells():
    tenant_share, wide = [], 0
    for seed in range(10):
        storm = holdout12_storm(seed)
        v = holdout12_knobs(seed)[1]["vocab"]
        tenant_share.append(sum(v["tenant_key"] in a.labels for a in storm.alerts) / len(storm.alerts))
        cells: dict[str, set[str]] = defaultdict(set)
        names: dict[str, set[str]] = defaultdict(set)
        for a in storm.alerts:
            names[a.truth].add(a.labels["alertname"])
            if v["cell_key"] in a.labels:
                cells[a.truth].add(a.labels[v["cell_key"]])
        wide += any(IDP_DOWN in names[t] and len(cells[t]) >= 2 for t in names)
        assert not any(k in a.labels for a in storm.alerts for k in ("node", "host", "zone", "rack"))
    assert sorted(tenant_share)[5] >= 0.5 and wide >= 2
