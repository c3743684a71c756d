"""The dedup stage's named decisions."""

from __future__ import annotations

from engine.alerts.dedup import Dedup, apply_dedup, decide_dedup

from alerts_helpers import at, ev


def _run(events, flap_window=300):
    st, kinds = None, []
    for when, e in events:
        d = decide_dedup(st, e, at(when), flap_window)
        st = apply_dedup(st, e, d, at(when))
        kinds.append(d.kind)
    return st, kinds


def test_new_repeat_resolve_repeated_resolve():
    st, kinds = _run([(0, ev()), (30, ev()), (60, ev(status="resolved")), (90, ev(status="resolved"))])
    assert kinds == [Dedup.NEW, Dedup.REPEAT, Dedup.RESOLVED, Dedup.REPEAT_RESOLVE]
    assert st.deliveries == 4 and st.repeat_resolves == 1 and st.status.value == "resolved"


def test_flap_within_window_and_refire_after():
    st, kinds = _run([(0, ev()), (60, ev(status="resolved")), (120, ev(start=110)),
                      (200, ev(status="resolved", start=110)), (900, ev(start=890))])
    assert kinds == [Dedup.NEW, Dedup.RESOLVED, Dedup.FLAP, Dedup.RESOLVED, Dedup.REFIRE]
    assert st.flaps == 1 and st.starts_at == at(890)


def test_stale_and_unseen():
    _, kinds = _run([(0, ev(start=100)), (10, ev(start=50)), (20, ev(status="resolved", start=100)),
                     (30, ev(start=100))])
    assert kinds == [Dedup.NEW, Dedup.STALE, Dedup.RESOLVED, Dedup.STALE]
    _, kinds = _run([(0, ev(status="resolved"))])
    assert kinds == [Dedup.RESOLVED_UNSEEN]


def test_new_start_without_resolve_counts_as_flap():
    _, kinds = _run([(0, ev(start=0)), (100, ev(start=90))])
    assert kinds == [Dedup.NEW, Dedup.FLAP]
    assert "restarted" in decide_dedup(_run([(0, ev())])[0], ev(start=5), at(6), 300).reason
