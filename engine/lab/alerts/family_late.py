"""The fit's wire: a share of training storms delivered rule by rule, late and out of onset order.

Real alerts reach Opsbot late by an amount that depends on their rule. Prometheus evaluates each
rule group every 15-60 s, so a condition is seen at the group's next evaluation after it began; a
rule with `for:` sends the alert only after it has held that long (startsAt is still when it became
active); Alertmanager then holds a new group for `group_wait` before its first notification. A route
that groups by every label (`group_by: ['...']`, common for a ChatOps receiver) sends one alert per
webhook. So an alert of a slow rule (60 s evaluation, `for: 1m`) arrives up to two minutes after one
of a fast rule that began later. A resolve is seen at the next evaluation and sent without `for`.
The batched wire (family_wire.deliveries) never shows that; the bench keeps it for the training
styles, so its figures compare across fits.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta

from engine.alerts.fingerprint import fingerprint_of
from engine.alerts.types import AlertEvent, Status
from engine.lab.alerts.family import BASE, Storm
from engine.lab.alerts.family_wire import Delivery, deliveries

LATE_SHARE = 0.4  # share of training storms delivered rule by rule (the rest in 30 s batches)
MAX_LATE_S = 120.0  # a change is never later than this (slow evaluation plus a long `for`)
EVAL_S = (15.0, 30.0, 60.0)  # rule-group evaluation intervals
FOR_S = (0.0, 0.0, 30.0, 60.0)  # `for:` durations (many rules have none)
GROUP_WAIT_S = (0.0, 10.0)  # Alertmanager's group_wait for a new one-alert group, drawn per storm


def train_deliveries(storm: Storm) -> list[Delivery]:
    """Return the fit's deliveries of a training storm: rule-paced for LATE_SHARE of them, else batched."""
    if random.Random(f"late:{storm.style}:{storm.seed}").random() < LATE_SHARE:
        return rule_paced_deliveries(storm)
    return deliveries(storm)


def rule_paced_deliveries(storm: Storm) -> list[Delivery]:
    """Return one-alert deliveries, each change late by its rule's evaluation, `for` and group_wait."""
    rng = random.Random(f"rules:{storm.style}:{storm.seed}")
    wait = rng.uniform(*GROUP_WAIT_S)
    rules: dict[str, tuple[float, float, float]] = {}  # alertname -> (interval, phase, for)
    out: list[Delivery] = []
    for a in storm.alerts:
        name = a.labels.get("alertname", "")
        if name not in rules:
            every = rng.choice(EVAL_S)
            rules[name] = (every, rng.uniform(0.0, every), rng.choice(FOR_S))
        every, phase, hold = rules[name]
        fp = fingerprint_of(a.labels, frozenset())
        changes, start = [("firing", a.start, a.start)], a.start
        for r, f in a.flaps:
            changes += [("resolved", r, start), ("firing", f, f)]
            start = f
        changes.append(("resolved", a.end, start))
        prev = -math.inf
        for st, t, occ in changes:
            seen = _next_eval(t, every, phase)
            sent = _next_eval(seen + hold, every, phase) if st == "firing" else seen
            # One group per alert: its notifications go out in order, each group_wait after the change.
            at = max(prev + 1.0, min(t + MAX_LATE_S, sent + wait))
            prev = at
            ev = AlertEvent(fp, Status(st), a.labels,
                            {"summary": f"{name} on {a.labels.get('service') or a.labels.get('instance', '')}"},
                            BASE + timedelta(seconds=occ), BASE + timedelta(seconds=t) if st == "resolved" else None,
                            "alertmanager", f"rules:{fp}", "", frozenset())
            out.append((at, (ev,)))
            if rng.random() < storm.knobs.dup:  # the HA pair's second copy
                out.append((at + rng.uniform(0.1, 5.0), (ev,)))
    out.sort(key=lambda d: d[0])
    return out


def _next_eval(t: float, every: float, phase: float) -> float:
    """Return the first evaluation of a rule group at or after t."""
    return phase + math.ceil((t - phase) / every) * every
