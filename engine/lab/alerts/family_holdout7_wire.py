"""The data-platform held-out style's wire (family_holdout7.py): Alertmanager's deliveries with its real timers."""

from __future__ import annotations

import random
from datetime import timedelta

from engine.alerts.fingerprint import fingerprint_of
from engine.alerts.types import AlertEvent, Status
from engine.lab.alerts.family import BASE, Storm
from engine.lab.alerts.family_holdout7 import holdout7_knobs
from engine.lab.alerts.family_wire import Delivery

GROUP_WAIT_S = 30.0
SUMMARY_KEYS = ("dag_id", "pipeline", "dataset", "db", "datname", "instance")


def am_deliveries(storm: Storm) -> list[Delivery]:
    """Return Alertmanager's deliveries with its timers: group_wait for a new group, group_interval after it."""
    _, x = holdout7_knobs(storm.seed)
    group_by: tuple[str, ...] = x["group_by"]  # type: ignore[assignment]
    interval: float = x["group_interval"]  # type: ignore[assignment]
    return am_timed_deliveries(storm, group_by, interval, SUMMARY_KEYS)


def am_timed_deliveries(storm: Storm, group_by: tuple[str, ...], interval: float,
                        summary_keys: tuple[str, ...]) -> list[Delivery]:
    """Return Alertmanager's deliveries grouped by group_by: group_wait for a new group, then every interval."""
    rng = random.Random(f"am:{storm.style}:{storm.seed}")
    fps = [fingerprint_of(a.labels, frozenset()) for a in storm.alerts]
    groups: dict[tuple[str, ...], list[tuple[float, int, str, float]]] = {}
    for i, a in enumerate(storm.alerts):
        gk = tuple(a.labels.get(g, "") for g in group_by)
        ch = groups.setdefault(gk, [])
        ch += [(a.start, i, "firing", a.start), (a.end, i, "resolved", a.start)]
    out: list[Delivery] = []
    for gk, ch in sorted(groups.items()):
        ch.sort()
        label = "{}:{" + ",".join(f'{g}="{v}"' for g, v in zip(group_by, gk)) + "}"
        current: dict[int, tuple[str, float, float | None]] = {}
        j = 0
        while j < len(ch):
            flush = ch[j][0] + GROUP_WAIT_S  # the group is (re)created: sent after group_wait
            while True:
                touched = False
                while j < len(ch) and ch[j][0] <= flush:
                    t, i, st, occ = ch[j]
                    current[i] = (st, occ, t if st == "resolved" else None)
                    touched, j = True, j + 1
                if touched:
                    evs = tuple(_event(storm.alerts[i].labels, fps[i], *current[i], label, frozenset(group_by),
                                       summary_keys)
                                for i in sorted(current))
                    out.append((flush, evs))
                    if rng.random() < storm.knobs.dup:
                        out.append((flush + rng.uniform(0.1, 5.0), evs))
                    current = {i: c for i, c in current.items() if c[0] == "firing"}
                if not current:
                    break  # every alert resolved and sent: the group is gone
                flush += interval
    out.sort(key=lambda d: d[0])
    return out


def _event(labels: dict[str, str], fp: str, st: str, occ: float, end: float | None, gk: str,
           gl: frozenset[str], summary_keys: tuple[str, ...]) -> AlertEvent:
    what = next((labels[k] for k in summary_keys if k in labels), "")
    return AlertEvent(fp, Status(st), labels, {"summary": f"{labels['alertname']} on {what}"},
                      BASE + timedelta(seconds=occ), BASE + timedelta(seconds=end) if end is not None else None,
                      "alertmanager", gk, "", gl)
