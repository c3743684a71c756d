"""Accuracy of root-cause rankings: AC@k and Avg@5 at service and metric level.

AC@k for a case with root-cause set V is ``|top-k ∩ V| / min(k, |V|)``, CIRCA's
definition: the fraction of the true root causes that a top-k list could hold which it
does hold, so a single-cause case scores 0 or 1 and a perfect ranking scores 1 for any
``|V|``.  Avg@5 is the mean of AC@1..AC@5.  The random floor is the exact expected value
of the same metric under a uniformly random ranking of the same candidates.

``answers="first"`` scores as RCAEval's ``rq2.py`` does on its synthetic (CIRCA/RCD) cases:
only the first line of ``root_cause.txt`` is the answer, so AC@k is 1 when that one cause
is in the top k; its random floor is ``min(k, n) / n`` (Avg@5 0.30 with 10 candidates,
0.06 with 50, the figures RCAEval publishes).  A multi-cause case is then easier at
AC@2+ (one cause suffices) but harder at AC@1 (another true cause on top scores 0).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from engine.lab.rca.cases import Case
from engine.rca.types import RcaInput, split_name

KS = (1, 2, 3, 4, 5)
Ranker = Callable[[RcaInput], list[str]]


def ac_at_k(ranked: list[str], truth: set[str], k: int) -> float:
    """Return |top-k ∩ truth| / min(k, |truth|)."""
    if not truth:
        return 0.0
    return len(set(ranked[:k]) & truth) / min(k, len(truth))


def random_ac_at_k(num_candidates: int, num_truth: int, k: int) -> float:
    """Return the expected AC@k of a uniformly random ranking (hypergeometric mean)."""
    if num_candidates <= 0 or num_truth <= 0:
        return 0.0
    hits = min(k, num_candidates) * min(num_truth, num_candidates) / num_candidates
    return hits / min(k, num_truth)


def service_ranking(ranked: list[str]) -> list[str]:
    """Collapse a metric ranking to services, each at its best position."""
    seen: dict[str, None] = {}
    for name in ranked:
        seen.setdefault(split_name(name)[0], None)
    return list(seen)


def _metric_truth(truth: tuple[str, ...], candidates: list[str]) -> set[str] | None:
    """Map answers to candidate names; ``latency`` also matches ``latency-90`` and the like."""
    out = set()
    for answer in truth:
        if "_" not in answer:
            return None  # a service-only answer has no metric-level truth
        service, metric = split_name(answer)
        for c in candidates:
            cs, cm = split_name(c)
            if cs == service and (cm == metric or cm.startswith(metric + "-") or cm.startswith(metric + "_")):
                out.add(c)
        out.add(answer)
    return out


@dataclass
class Scores:
    """Running AC@k sums for one ranker at one level, with the random floor beside them."""

    ac: dict[int, float] = field(default_factory=lambda: {k: 0.0 for k in KS})
    floor: dict[int, float] = field(default_factory=lambda: {k: 0.0 for k in KS})
    cases: int = 0

    def add(self, ranked: list[str], truth: set[str], num_candidates: int) -> None:
        """Add one case."""
        self.cases += 1
        for k in KS:
            self.ac[k] += ac_at_k(ranked, truth, k)
            self.floor[k] += random_ac_at_k(num_candidates, len(truth), k)

    def summary(self) -> dict[str, float | int]:
        """Return AC@1, AC@3, Avg@5 and their random floors, averaged over cases."""
        n = max(self.cases, 1)
        ac = {k: v / n for k, v in self.ac.items()}
        fl = {k: v / n for k, v in self.floor.items()}
        return {"cases": self.cases, "AC@1": ac[1], "AC@3": ac[3], "Avg@5": float(np.mean(list(ac.values()))),
                "random_AC@1": fl[1], "random_AC@3": fl[3], "random_Avg@5": float(np.mean(list(fl.values())))}


def evaluate(
    cases: list[Case], rankers: dict[str, Ranker], delay: float = 0.0, answers: str = "all"
) -> dict[str, dict]:
    """Run every ranker on every case; return per ranker the service and metric summaries.

    ``answers`` is "all" (every listed root cause, CIRCA's AC@k) or "first" (RCAEval's).
    """
    if answers not in ("all", "first"):
        raise ValueError(f"answers must be 'all' or 'first', not {answers!r}")
    report: dict[str, dict] = {}
    for label, ranker in rankers.items():
        service, metric, seconds = Scores(), Scores(), []
        for case in cases:
            inp = case.input(delay)
            start = time.perf_counter()
            ranked = ranker(inp)
            seconds.append(time.perf_counter() - start)
            names = sorted(inp.series)
            services = sorted({split_name(n)[0] for n in names})
            roots = case.root_causes[:1] if answers == "first" else case.root_causes
            service.add(service_ranking(ranked), {split_name(a)[0] for a in roots}, len(services))
            truth = _metric_truth(roots, names)
            if truth is not None:
                metric.add(ranked, truth, len(names))
        report[label] = {"service": service.summary(), "metric": metric.summary(),
                         "median_seconds": float(np.median(seconds)) if seconds else 0.0}
    return report


def format_report(report: dict[str, dict], delay: float = 0.0) -> str:
    """Render the report as a fixed-width table."""
    lines = [f"detection delay: {delay:g} s",
             f"{'ranker':<10} {'level':<8} {'cases':>5} {'AC@1':>6} {'AC@3':>6} {'Avg@5':>6}   "
             f"{'rand@1':>6} {'rand@3':>6} {'randA5':>6}"]
    for label, levels in report.items():
        for level in ("service", "metric"):
            s = levels[level]
            lines.append(f"{label:<10} {level:<8} {s['cases']:>5} {s['AC@1']:>6.3f} {s['AC@3']:>6.3f} "
                         f"{s['Avg@5']:>6.3f}   {s['random_AC@1']:>6.3f} {s['random_AC@3']:>6.3f} "
                         f"{s['random_Avg@5']:>6.3f}")
    return "\n".join(lines)
