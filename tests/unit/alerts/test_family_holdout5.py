"""The fifth held-out storm style (bare-metal): what it generates, not how Opsbot scores on it."""

from __future__ import annotations

from collections import defaultdict

from engine.lab.alerts.family import BASE
from engine.lab.alerts.family_holdout5 import (HARDWARE_JOBS, HOST_DOWN, MAX_LATE_S, POWER_ALERT, RACK_ALERT,
                                               holdout5_storm, mixed_deliveries)


def test_rack_and_power_failures_precede_alerts_on_the_servers_they_took_down():
    racks = powers = two_dcs = 0
    for seed in range(10):
        storm = holdout5_storm(seed)
        two_dcs += len({a.labels["datacenter"] for a in storm.alerts}) == 2
        by_truth = defaultdict(list)
        for a in storm.alerts:
            by_truth[a.truth].append(a)
            assert "datacenter" in a.labels and not {"cluster", "namespace", "node", "host"} & set(a.labels)
        for alerts in by_truth.values():
            names = {a.labels["alertname"] for a in alerts}
            if RACK_ALERT in names:
                racks += 1
                sw = next(a for a in alerts if a.labels["alertname"] == RACK_ALERT)
                in_rack = [a for a in alerts if "service" in a.labels and a.labels["rack"] == sw.labels["rack"]]
                assert "service" not in sw.labels and in_rack
                assert all(a.start > sw.start - 20 for a in in_rack)
                assert {a.labels["datacenter"] for a in alerts} == {sw.labels["datacenter"]}
            if POWER_ALERT in names:
                powers += 1
                pdu = next(a for a in alerts if a.labels["alertname"] == POWER_ALERT).labels["pdu"]
                down = [a for a in alerts if a.labels["alertname"] == HOST_DOWN]
                assert down and {a.labels["pdu"] for a in down} == {pdu}
                servers = {a.labels["instance"].split(":")[0] for a in down}
                assert any(a.labels["instance"].split(":")[0] in servers for a in alerts if "service" in a.labels)
    assert racks >= 3 and powers >= 3 and two_dcs >= 2


def test_hardware_alerts_arrive_late_one_per_call_and_the_style_is_deterministic():
    a, b = holdout5_storm(4), holdout5_storm(4)
    assert [(x.labels, x.start, x.truth) for x in a.alerts] == [(x.labels, x.start, x.truth) for x in b.alerts]
    feed = mixed_deliveries(a)
    assert feed == mixed_deliveries(b)
    hw = [(at, ev) for at, evs in feed for ev in evs if ev.labels.get("job") in HARDWARE_JOBS]
    assert hw and all(ev.source == "dcim" for _, ev in hw)
    assert all(len(evs) == 1 for _, evs in feed if evs[0].labels.get("job") in HARDWARE_JOBS)
    lags = [at - (ev.starts_at - BASE).total_seconds() for at, ev in hw if ev.status.value == "firing"]
    assert 0 <= min(lags) and max(lags) <= MAX_LATE_S + 1
    batched = [evs for _, evs in feed if evs[0].labels.get("job") not in HARDWARE_JOBS]
    assert any(len(evs) > 1 for evs in batched)  # Alertmanager's grouped batches
    onsets = [(ev.starts_at - BASE).total_seconds() for _, evs in feed for ev in evs if ev.status.value == "firing"]
    assert any(later < earlier for earlier, later in zip(onsets, onsets[1:]))  # out of onset order
