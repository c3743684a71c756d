"""The bookkeeping the held-out storm builders share: one cause per alert at a time, recurring and noise.

A builder plans an incident as (labels, onset) pairs; `add` keeps each label set once, refuses the
whole incident when one of its alerts is firing for another cause then, and stops each alert near
the incident's end. The draw order is part of every scored storm: change nothing here lightly.
"""

from __future__ import annotations

import random

from typing import Callable

from engine.lab.alerts.family import FamAlert

Plan = list[tuple[dict[str, str], float]]  # (labels, onset)
Key = tuple[tuple[str, str], ...]
MARGIN_S = 120.0  # an alert's firings for two causes stay this far apart


class AlertBook:
    """Alerts with their truth, and when each label set is busy; subclasses plan incidents and noise."""

    def __init__(self, rng: random.Random, min_span_s: float) -> None:
        self.rng = rng
        self.min_span_s = min_span_s  # an alert fires at least this long
        self.busy: dict[Key, list[tuple[float, float]]] = {}
        self.alerts: list[FamAlert] = []

    def _noise_alert(self) -> dict[str, str]:
        raise NotImplementedError

    def free(self, keys: list[Key], a: float, b: float) -> bool:
        """Return True when none of the alerts is firing for another cause then (with a margin)."""
        return not any(s - MARGIN_S < b and a < e + MARGIN_S for k in keys for s, e in self.busy.get(k, []))

    def add(self, plan: Plan, truth: str, end: float, long: bool = False) -> bool:
        """Add one incident's alerts ending near end, if none of them is firing for another cause then."""
        seen: set[Key] = set()
        kept: Plan = []
        for lab, t in sorted(plan, key=lambda p: p[1]):
            k = tuple(sorted(lab.items()))
            if k not in seen and t < end - 60:
                seen.add(k)
                kept.append((lab, t))
        keys = [tuple(sorted(lab.items())) for lab, _ in kept]
        if not kept or not self.free(keys, kept[0][1], end):
            return False
        for k, (lab, t) in zip(keys, kept):
            self.busy.setdefault(k, []).append((t, end))
            stop = end if long else max(t + self.min_span_s, end + self.rng.uniform(-60, 120))
            self.alerts.append(FamAlert(lab, truth, t, stop))
        return True

    def place(self, n: int, t0: float, kinds: list[Callable[[float], tuple[Plan, float]]], shares: list[float],
              recurrence: float) -> None:
        """Add incident n of one of `kinds` at t0 and maybe 1-3 recurrences of it.

        Every kind may recur: the builders meant a bad deploy not to, but tested it with `is` on a
        bound method, which never holds, and their scored storms were drawn so; they stay so.
        """
        rng = self.rng
        for _ in range(30):
            kind = rng.choices(kinds, weights=shares)[0]
            plan, end = kind(t0)
            if self.add(plan, f"inc-{n}", end):
                break
        else:
            return
        if rng.random() >= recurrence:
            return
        last = end
        for r in range(rng.randint(1, 3)):
            start = last + rng.uniform(360, 1500)
            again = [(lab, start + (t - t0) * rng.uniform(0.7, 1.3)) for lab, t in plan]
            last = start + (end - t0) * rng.uniform(0.6, 1.0)
            if not self.add(again, f"inc-{n}-r{r + 1}", last):
                break

    def recurring(self, k: int, duration: float) -> None:
        """Add k noisy recurring alerts: 2-8 minutes every 15-45 minutes, each firing its own incident."""
        rng = self.rng
        for j in range(k):
            lab = self._noise_alert()
            t, m = rng.uniform(0, 1800), 0
            period = rng.uniform(900, 2700)
            while t < duration:
                if self.add([(lab, t)], f"recurring-{j}-{m}", t + rng.uniform(120, 480)):
                    m += 1
                t += period * rng.uniform(0.8, 1.2)

    def noise(self, n: int, duration: float) -> None:
        """Add n one-off alerts, nothing following."""
        for j in range(n):
            t = self.rng.uniform(0, duration)
            self.add([(self._noise_alert(), t)], f"noise-{j}", t + self.rng.uniform(180, 1800))
