"""In-memory twin of the Prometheus metrics port, for unit tests and offline demos.

It evaluates plain selectors (`name` or `name{label="value",...}`) with Prometheus's instant
semantics (the newest sample at or before the evaluation time, at most 5 minutes old); any
other PromQL must be given a canned answer with `answer()`, since the twin is no PromQL engine."""

from __future__ import annotations

import re
from datetime import datetime

from engine.adapters.prometheus import graph_link
from engine.core.clock import Clock, SystemClock
from engine.errors import InvalidInput, Unavailable
from engine.ports import Series

LOOKBACK_S = 300.0  # Prometheus's default --query.lookback-delta
_SELECTOR = re.compile(r'^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$')
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')


def parse_selector(query: str) -> tuple[str, dict[str, str]]:
    """Return (metric name, exact label matchers) of a plain selector; InvalidInput otherwise."""
    m = _SELECTOR.match(query)
    if not m:
        raise InvalidInput(f"Prometheus rejected the query: the twin cannot parse {query!r}")
    labels: dict[str, str] = {}
    body = (m.group(2) or "").strip()
    pos = 0
    while pos < len(body):
        lm = _LABEL.match(body, pos)
        if not lm:
            raise InvalidInput(f"Prometheus rejected the query: bad matcher in {query!r}")
        labels[lm.group(1)] = lm.group(2)
        pos = lm.end()
    return m.group(1), labels


class MemoryPrometheus:
    """Series held in memory; behaves like PrometheusMetrics for selectors, including its errors."""

    def __init__(self, clock: Clock | None = None, base_url: str = "memory://prometheus") -> None:
        self.clock = clock or SystemClock()
        self.base_url = base_url
        self.available = True  # flip to False to rehearse an outage
        self.queries: list[str] = []  # every query asked, in order
        self._series: dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[float, float]]] = {}
        self._answers: dict[str, list[list[float]]] = {}

    # -- seeding (not part of the port) ------------------------------------------------
    def add(self, name: str, labels: dict[str, str], points: list[tuple[float, float]]) -> None:
        """Add (unix seconds, value) samples to the series `name{labels}`."""
        key = (name, tuple(sorted(labels.items())))
        self._series[key] = sorted(self._series.get(key, []) + [(float(t), float(v)) for t, v in points])

    def answer(self, query: str, *values: list[float]) -> None:
        """Answer instant queries of `query` with each value list in turn (the last repeats)."""
        self._answers[query] = [list(v) for v in values] or [[]]

    # -- the port ----------------------------------------------------------------------
    def _check(self, query: str) -> None:
        self.queries.append(query)
        if not self.available:
            raise Unavailable(f"Prometheus at {self.base_url} is not reachable", hint="check OPSBOT_PROMETHEUS_URL")

    def _matching(self, query: str) -> list[tuple[dict[str, str], list[tuple[float, float]]]]:
        name, want = parse_selector(query)
        return [({"__name__": n, **dict(lab)}, pts) for (n, lab), pts in sorted(self._series.items())
                if n == name and all(dict(lab).get(k, "") == v for k, v in want.items())]

    @staticmethod
    def _at(points: list[tuple[float, float]], t: float) -> float | None:
        found = None
        for ts, v in points:
            if ts > t:
                break
            found = (ts, v)
        return found[1] if found is not None and t - found[0] <= LOOKBACK_S else None

    async def query_range(self, promql: str, start: datetime, end: datetime, step_s: float) -> list[Series]:
        """Return every matching series evaluated at start, start+step, ... up to end."""
        self._check(promql)
        step = max(1, int(step_s))
        grid = [start.timestamp() + i * step for i in range(int((end - start).total_seconds() // step) + 1)]
        out = []
        for labels, points in self._matching(promql):
            pairs = [(t, v) for t in grid if (v := self._at(points, t)) is not None]
            if pairs:
                out.append(Series(labels, [t for t, _ in pairs], [v for _, v in pairs]))
        return out

    async def instant_values(self, query: str) -> list[float]:
        """Return the sample values of an instant query at the clock's now."""
        self._check(query)
        if query in self._answers:
            answers = self._answers[query]
            return answers.pop(0) if len(answers) > 1 else list(answers[0])
        now = self.clock.now().timestamp()
        return [v for _, points in self._matching(query) if (v := self._at(points, now)) is not None]

    def graph_url(self, promql: str, start: datetime, end: datetime, step_s: float = 60) -> str:
        """Return the graph link PrometheusMetrics would build."""
        return graph_link(self.base_url, promql, start, end, step_s)
