"""The sixth held-out storm style (serverless-queues): what it generates, not how Opsbot scores on it."""

from __future__ import annotations

from collections import defaultdict

from engine.lab.alerts.family import BASE
from engine.lab.alerts.family_holdout6 import (BACKLOG, DLQ, FN_ERRORS, LIMIT_ALERT, MAX_LATE_S, RETRIES, SCHEDULED,
                                               TABLE_ALERT, holdout6_storm, sns_deliveries)


def test_backlog_grows_minutes_after_the_consumer_fails_and_limits_name_no_function():
    outages = lagged = limits = tables = scheduled = 0
    for seed in range(10):
        storm = holdout6_storm(seed)
        by_truth = defaultdict(list)
        for a in storm.alerts:
            by_truth[a.truth].append(a)
            assert not {"namespace", "cluster", "node", "host", "instance", "zone", "rack"} & set(a.labels)
        for truth, alerts in by_truth.items():
            names = [a.labels["alertname"] for a in alerts]
            scheduled += truth.startswith("sched-")
            if SCHEDULED in names:
                assert len(alerts) == 1 and truth.startswith("sched-")
            if LIMIT_ALERT in names:
                limits += 1
                assert not {"function_name", "service"} & set(alerts[names.index(LIMIT_ALERT)].labels)
            if TABLE_ALERT in names:
                tables += 1
            if names[0] == FN_ERRORS and not truth.startswith("noise") and (BACKLOG in names or RETRIES in names):
                outages += 1
                t0 = alerts[0].start
                later = [a.start - t0 for a in alerts if a.labels["alertname"] in (BACKLOG, DLQ, RETRIES)]
                lagged += min(later) >= 120
    assert outages >= 10 and lagged >= outages * 0.8 and limits >= 2 and tables >= 2 and scheduled >= 10


def test_alarms_arrive_one_per_call_late_and_the_style_is_deterministic():
    a, b = holdout6_storm(3), holdout6_storm(3)
    assert [(x.labels, x.start, x.truth) for x in a.alerts] == [(x.labels, x.start, x.truth) for x in b.alerts]
    assert a.depends_on == b.depends_on and a.depends_on
    feed = sns_deliveries(a)
    assert feed == sns_deliveries(b) and all(len(evs) == 1 for _, evs in feed)
    lags = [at - (ev.starts_at - BASE).total_seconds() for at, (ev,) in feed if ev.status.value == "firing"]
    assert 0 <= min(lags) and max(lags) <= MAX_LATE_S + 31
    onsets = [(ev.starts_at - BASE).total_seconds() for _, (ev,) in feed if ev.status.value == "firing"]
    assert any(later < earlier for earlier, later in zip(onsets, onsets[1:]))  # out of onset order


def test_the_declared_app_graph_is_a_valid_depends_on():
    from engine.alerts.config import AlertsConfig

    for seed in range(30):
        AlertsConfig(depends_on=holdout6_storm(seed).depends_on)  # no cycle: the config refuses one
