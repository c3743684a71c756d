"""The ingest hot path's shortcuts decide exactly what the stages they stand in for decide."""

from __future__ import annotations

import copy
import random
from dataclasses import fields

from engine.alerts.config import AlertsConfig
from engine.alerts.dedup import Dedup, absorb_repeat, apply_dedup, decide_dedup
from engine.alerts.pipeline import PipelineState, process

from alerts_helpers import at, ev

CFG = AlertsConfig()


def _fields(obj) -> dict:
    return {f.name: getattr(obj, f.name) for f in fields(obj) }


def _state(status: str, start: float, dirty: bool):
    """Return a stored state of fingerprint "fp" after a delivery, clean or with a pending write."""
    e = ev(status="firing", start=start, fp="fp")
    st = apply_dedup(None, e, decide_dedup(None, e, at(start), 300), at(start))
    if status == "resolved":
        r = ev(status="resolved", start=start, fp="fp")
        st = apply_dedup(st, r, decide_dedup(st, r, at(start + 10), 300), at(start + 10))
    st.dirty, st.touched = dirty, 0
    return st


def test_absorb_repeat_matches_decide_then_apply_on_every_kind_of_delivery():
    for status in ("firing", "resolved"):
        for dirty in (False, True):
            for delivered, start in (("firing", 0), ("firing", 30), ("firing", -30), ("resolved", 0),
                                     ("resolved", 30), ("resolved", -30)):
                slow, fast = _state(status, 0, dirty), _state(status, 0, dirty)
                e = ev(status=delivered, start=start, fp="fp")
                d = decide_dedup(slow, e, at(100), 300)
                expected = apply_dedup(slow, e, d, at(100))
                took = absorb_repeat(fast, e, at(100))
                # It takes the clean repeats only, and then leaves the very same state behind.
                quiet = d.kind in (Dedup.REPEAT, Dedup.REPEAT_RESOLVE) and not dirty
                assert took == (d.kind.value if quiet else None)
                if took:
                    assert _fields(fast) == _fields(expected)
                else:
                    assert _fields(fast) == _fields(_state(status, 0, dirty))  # untouched
    assert absorb_repeat(None, ev(fp="fp"), at(0)) is None


def test_process_decides_the_same_with_and_without_the_shortcuts():
    """Replay a noisy stream twice: states cleaned after each delivery (shortcut taken) or never."""
    rng = random.Random(3)
    events = []
    for t in range(200):
        svc, i = rng.randrange(6), rng.randrange(10)
        status = "resolved" if rng.random() < 0.3 else "firing"
        events.append((t, ev(f"A{i % 3}", f"s{svc}", status=status, start=(t // 40) * 40,
                             fp=f"{svc}-{i}", cluster="c", severity=rng.choice(["warning", "critical"]))))
    fast, slow = PipelineState({}, {}), PipelineState({}, {})
    for t, e in events:
        got = process(fast, [e], CFG, at(t))
        # The reference never cleans its states, so every delivery goes through decide + apply.
        d = decide_dedup(copy.deepcopy(slow.alerts.get(e.fingerprint)), e, at(t), CFG.flap_window_s)
        want = process(slow, [e], CFG, at(t))
        assert [(x.stage, x.name, x.reason, x.fingerprint, x.incident_id) for x in got.decisions] == \
               [(x.stage, x.name, x.reason, x.fingerprint, x.incident_id) for x in want.decisions]
        assert got.counts == want.counts and got.counts[f"dedup.{d.kind.value}"] == 1
        for st in fast.alerts.values():  # what a commit does to the cached states
            st.dirty, st.touched = False, 0
    assert {k: _fields(v) for k, v in fast.alerts.items()} == \
           {k: {**_fields(v), "dirty": False, "touched": 0} for k, v in slow.alerts.items()}
    assert [_fields(i) for i in fast.incidents.values()] == [_fields(i) for i in slow.incidents.values()]


def test_neighbours_cached_per_graph_equal_to_a_fresh_walk():
    """neighbours() answers from its per-graph cache exactly what walking that graph answers."""
    from engine.alerts.model_keys import _hops, neighbours

    a = AlertsConfig(depends_on={"web": ["api"], "api": ["db"]})
    b = AlertsConfig(depends_on={"web": ["cache"]})
    for cfg in (a, b, a, b):
        fresh = _hops(tuple(sorted((k, tuple(v)) for k, v in cfg.depends_on.items())))
        assert neighbours(cfg) == fresh
    assert neighbours(a) is neighbours(a)
    assert "db" in dict(neighbours(a)["web"]) and "db" not in dict(neighbours(b).get("web", ()))
    assert neighbours(CFG) == {}


def test_reply_alerts_shows_and_counts_what_merging_every_compacted_line_would():
    from engine.alerts import thread_fold
    from engine.alerts.messages import alert_line

    rng = random.Random(5)
    for trial in range(300):
        label = rng.choice(["service", "alertname", "team"])
        members = []
        for i in rng.sample(range(40), rng.randrange(0, 40)):
            st = _state(rng.choice(["firing", "resolved"]), 0, False)
            st.fingerprint = f"fp{i}"
            st.labels = {"alertname": f"A{i % 3}", **({"service": f"s{i % 4}"} if i % 5 else {}), "team": "x"}
            members.append(st)
        full = [thread_fold.compact_alert(alert_line(m), label) for m in members]
        limit = rng.choice([1, 5, 20])
        if trial % 3 == 0:
            assert thread_fold.reply_alerts(None, members, limit, label) == (full[:limit], max(0, len(full) - limit))
            continue
        old = [{"fingerprint": f"fp{i}", "alertname": "old", "status": "firing", "labels": {}}
               for i in rng.sample(range(60), rng.randrange(0, 25))]
        if trial % 7 == 0:
            old.append({"alertname": "no fingerprint", "status": "firing", "labels": {}})
        assert thread_fold.reply_alerts(old, members, limit, label) == thread_fold.merge_alerts(old, full, limit)
