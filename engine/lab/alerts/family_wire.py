"""What a family storm looks like on the wire: occurrences with truth, and Alertmanager-like deliveries."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Callable

from engine.alerts.fingerprint import fingerprint_of
from engine.alerts.types import AlertEvent, Status
from engine.lab.alerts.family import BASE, FamAlert, Storm


def occurrences(storm: Storm) -> list[tuple[float, str, str, str, dict[str, str]]]:
    """Return (onset, fingerprint, startsAt, truth, labels) of every firing occurrence, by onset."""
    out = []
    for a in storm.alerts:
        fp = fingerprint_of(a.labels, frozenset())
        for s in [a.start] + [f for _, f in a.flaps]:
            out.append((s, fp, _iso(s), a.truth, a.labels))
    return sorted(out, key=lambda o: o[0])


def _iso(t: float) -> str:
    return (BASE + timedelta(seconds=t)).isoformat()


Delivery = tuple[float, tuple[AlertEvent, ...]]


def deliveries(storm: Storm, tick_s: float = 30.0, group_by: tuple[str, ...] = ("alertname", "service"),
               rng_of: Callable[[str], random.Random] = random.Random) -> list[Delivery]:
    """Return (time, events) webhook deliveries in time order, like an Alertmanager HA pair sends them."""
    rng = rng_of(f"deliver:{storm.style}:{storm.seed}")
    changes: list[tuple[float, int, str, float]] = []  # (at, alert, status, occurrence start)
    for i, a in enumerate(storm.alerts):
        start = a.start
        changes.append((a.start, i, "firing", a.start))
        for r, f in a.flaps:
            changes += [(r, i, "resolved", start), (f, i, "firing", f)]
            start = f
        changes.append((a.end, i, "resolved", start))
    changes.sort()
    fps = [fingerprint_of(a.labels, frozenset()) for a in storm.alerts]
    current: dict[int, tuple[str, float, float | None]] = {}
    out: list[Delivery] = []
    j, tick = 0, 0.0
    while j < len(changes):
        tick = max(tick + tick_s, (changes[j][0] // tick_s + 1) * tick_s)
        touched: dict[tuple[str, ...], set[int]] = {}
        while j < len(changes) and changes[j][0] <= tick:
            t, i, st, occ = changes[j]
            current[i] = (st, occ, t if st == "resolved" else None)
            touched.setdefault(tuple(storm.alerts[i].labels.get(g, '') for g in group_by), set()).add(i)
            j += 1
        for gkey, changed in touched.items():
            members = {i for i, (st, _, _) in current.items() if st == "firing"
                       and tuple(storm.alerts[i].labels.get(g, '') for g in group_by) == gkey} | changed
            gk = "{}:{" + ",".join(f'{g}="{v}"' for g, v in zip(group_by, gkey)) + "}"
            evs = tuple(_event(storm.alerts[i], fps[i], *current[i], gk, frozenset(group_by)) for i in sorted(members))
            out.append((tick, evs))
            if rng.random() < storm.knobs.dup:
                out.append((tick + rng.uniform(0.1, 5.0), evs))
    out.sort(key=lambda d: d[0])
    return out


def _event(a: FamAlert, fp: str, st: str, occ: float, end: float | None, gk: str,
           gl: frozenset[str]) -> AlertEvent:
    return AlertEvent(fp, Status(st), a.labels, {"summary": f"{a.labels['alertname']} on {a.labels.get('service') or a.labels.get('instance', '')}"},
                      BASE + timedelta(seconds=occ), BASE + timedelta(seconds=end) if end is not None else None,
                      "alertmanager", gk, "", gl)
