"""The grouping model's per-batch memo decides exactly what scoring every alert decides."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta

from engine.alerts.config import AlertsConfig
from engine.alerts.cooccurrence import CoOccurrence
from engine.alerts.grouping import ModelMemo
from engine.alerts.model import GroupingModel
from engine.alerts.pipeline import PipelineState, process, tick
from engine.lab.alerts.family import BASE
from engine.lab.alerts.family_train import TRAIN_STYLES, train_storm
from engine.lab.alerts.family_wire import deliveries

from alerts_helpers import at, ev


class _Forgetful(dict):
    """A memo store that never keeps a verdict: every alert is scored (the reference)."""

    def __setitem__(self, key, value) -> None:
        pass


def _no_memo() -> ModelMemo:
    m = ModelMemo()
    m.verdicts = _Forgetful()
    return m


def _grid(t: datetime) -> datetime:
    return BASE + timedelta(seconds=(t - BASE).total_seconds() // 30 * 30)


def _rows(out) -> list[tuple]:
    return [(d.stage, d.name, d.reason, d.fingerprint, d.incident_id) for d in out.decisions]


def _replay(feed, cfg: AlertsConfig, memo: ModelMemo) -> tuple[list[tuple], int]:
    """Run a family feed the way family_eval.replay does; return every decision and the model's use."""
    state = PipelineState({}, {}, model=GroupingModel(cfg, CoOccurrence()), memo=memo)
    rows: list[tuple] = []
    last_tick = 0.0
    for t, events in feed:
        while last_tick + cfg.tick_interval_s <= t:  # resolves teach co-occurrence between batches
            last_tick += cfg.tick_interval_s
            rows += _rows(tick(state, cfg, BASE + timedelta(seconds=last_tick)))
        rows += _rows(process(state, events, cfg, BASE + timedelta(seconds=t)))
    return rows, len(state.incidents)


class _Counting(dict):
    """A memo store that counts the verdicts it hands back."""

    reused = 0

    def get(self, key, default=None):
        got = dict.get(self, key, default)
        _Counting.reused += got is not None
        return got


def _counting() -> ModelMemo:
    m = ModelMemo()
    m.verdicts = _Counting()
    return m


def test_memo_changes_no_decision_on_family_storms():
    _Counting.reused = 0
    for style in TRAIN_STYLES:
        storm = train_storm(style, 0)
        # Onsets on a 30 s rule-evaluation grid, as Prometheus stamps them: alerts of one body
        # then share them, which is when a verdict is reused (with the storm's own continuous
        # onsets every alert reads differently and nothing is).
        feed = [(t, tuple(replace(e, starts_at=_grid(e.starts_at)) for e in evs)) for t, evs in deliveries(storm)]
        for graph in (True, False):
            cfg = AlertsConfig(depends_on=storm.depends_on if graph else {})
            got, n = _replay(feed, cfg, _counting())
            want, m = _replay(feed, cfg, _no_memo())
            assert got == want and n == m, (style, graph)
    assert _Counting.reused > 0  # the storms do exercise it


def test_memo_changes_no_decision_in_a_storm_onset_of_full_bodies():
    """The ingest benchmark's storm shape: 100 new alerts per body, ten bodies per service, shared onsets."""
    rng = random.Random(5)
    cfg = AlertsConfig()
    bodies = []
    for b in range(60):
        svc = f"storm-{b // 10}"
        bodies.append([ev(f"Alert{rng.randrange(7)}", svc, start=b // 20 * 10, fp=f"{svc}-{b}-{i}",
                          cluster=rng.choice(["c1", "c2"])) for i in range(100)])
    fast = PipelineState({}, {}, model=GroupingModel(cfg), memo=_counting())
    slow = PipelineState({}, {}, model=GroupingModel(cfg), memo=_no_memo())
    _Counting.reused = 0
    for b, body in enumerate(bodies):
        now = at(b // 20 * 10 + 5)
        assert _rows(process(fast, body, cfg, now)) == _rows(process(slow, body, cfg, now))
    assert len(fast.incidents) == len(slow.incidents) > 1
    assert _Counting.reused > 60 * 50  # most of a body's alerts reuse a verdict


def test_alerts_differing_only_in_zone_or_rack_share_no_verdict_and_no_memory_keys():
    from engine.alerts import model_keys
    from engine.alerts.grouping import _model_key
    from engine.alerts.model_keys import memory_keys, place

    cfg = AlertsConfig()
    model = GroupingModel(cfg)
    base = {"alertname": "Down", "service": "api", "cluster": "c1", "instance": "vm-1:8080"}
    kinds = [base, base | {"zone": "eu-1a"}, base | {"zone": "eu-1b"}, base | {"zone": "EU-1a", "rack": "r2"},
             base | {"service": "", "zone": "eu-1a"}]  # the last is about infrastructure (its machine)
    sigs = {_model_key(lb, place(cfg, lb), 0.0, model, []) for lb in kinds}
    assert len(sigs) == len(kinds)
    cached = [memory_keys(cfg, lb) for lb in kinds]
    assert len(set(cached)) == len(kinds)
    model_keys._KEYS.clear()
    assert [memory_keys(cfg, lb) for lb in reversed(kinds)] == cached[::-1]  # the cache answers as building does
    assert "m|dom|c1|zone=eu-1a" in cached[1] and "m|domi|c1|zone=eu-1a" in cached[4]
    assert {"m|dom|c1|zone=eu-1a", "m|dom|c1|rack=r2"} <= set(cached[3])


def _replay_grouped(feed, cfg: AlertsConfig, memo: ModelMemo, size: int) -> tuple[list[tuple], int]:
    """Run a feed as ingest.run_batches does under load: `size` deliveries per transaction, one `now`."""
    from engine.alerts.pipeline import Pipeline, _NO_DOOR

    pipe = Pipeline(cfg, _NO_DOOR)
    state = PipelineState({}, {}, model=GroupingModel(cfg, CoOccurrence()), memo=memo)
    rows: list[tuple] = []
    last_tick = 0.0
    for g in range(0, len(feed), size):
        group = feed[g:g + size]
        t = group[-1][0]
        while last_tick + cfg.tick_interval_s <= t:
            last_tick += cfg.tick_interval_s
            rows += _rows(tick(state, cfg, BASE + timedelta(seconds=last_tick)))
        for n, (_, events) in enumerate(group):
            rows += _rows(pipe.process(state, events, BASE + timedelta(seconds=t), same_transaction=n > 0))
    return rows, len(state.incidents)


def test_memo_kept_across_the_batches_of_a_transaction_changes_no_decision():
    _Counting.reused = 0
    for style in TRAIN_STYLES:
        storm = train_storm(style, 1)
        feed = [(t, tuple(replace(e, starts_at=_grid(e.starts_at)) for e in evs)) for t, evs in deliveries(storm)]
        for size in (3, 8):
            cfg = AlertsConfig(depends_on=storm.depends_on)
            got, n = _replay_grouped(feed, cfg, _counting(), size)
            want, m = _replay_grouped(feed, cfg, _no_memo(), size)
            assert got == want and n == m, (style, size)
    rng = random.Random(7)
    cfg = AlertsConfig()
    feed = []
    for b in range(60):
        svc = f"storm-{b // 10}"
        feed.append((b // 20 * 10 + 5, [ev(f"Alert{rng.randrange(7)}", svc, start=b // 20 * 10, fp=f"{svc}-{b}-{i}",
                                          cluster=rng.choice(["c1", "c2"])) for i in range(100)]))
    feed = [(12 * 3600 + t, evs) for t, evs in feed]  # the helpers' events start at noon of BASE's day
    got, n = _replay_grouped(feed, cfg, _counting(), 8)
    want, m = _replay_grouped(feed, cfg, _no_memo(), 8)
    assert got == want and n == m > 1
    assert _Counting.reused > 0

