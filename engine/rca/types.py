"""Neutral inputs and outputs of the root-cause ranker (no transport, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Series:
    """One metric of one service: unix-second timestamps and values, sorted by time."""

    times: np.ndarray
    values: np.ndarray

    @classmethod
    def of(cls, times: object, values: object) -> "Series":
        """Build a series from any sequences, sorted by time, non-finite values dropped."""
        t = np.asarray(times, dtype=float)
        v = np.asarray(values, dtype=float)
        keep = np.isfinite(t) & np.isfinite(v)
        order = np.argsort(t[keep], kind="stable")
        return cls(t[keep][order], v[keep][order])


@dataclass(frozen=True)
class ChangeEvent:
    """Something that changed: a deploy, config change, model alias move, runbook run."""

    time: float
    service: str
    kind: str
    description: str = ""


@dataclass(frozen=True)
class FiringAlert:
    """Another alert firing around the incident, attributed to a service."""

    time: float
    service: str
    name: str


@dataclass(frozen=True)
class RcaInput:
    """Everything the ranker looks at.

    ``series`` keys are ``<service>_<metric>``.  ``graph`` maps a service to the services
    it depends on (faults flow from a dependency to its dependents).
    """

    series: dict[str, Series]
    detect_time: float
    graph: dict[str, list[str]] | None = None
    changes: list[ChangeEvent] = field(default_factory=list)
    alerts: list[FiringAlert] = field(default_factory=list)


@dataclass(frozen=True)
class Evidence:
    """Why a hypothesis is on the list."""

    signal: str
    onset: float | None  # unix seconds when the signal started deviating
    deviation: float  # peak |robust z| (median/IQR units) after the onset
    direction: str  # "up", "down" or "" for change events
    explains: tuple[str, ...] = ()  # downstream services whose symptoms this would explain
    change: ChangeEvent | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hypothesis:
    """A ranked root-cause candidate: a metric of a service, or a change event."""

    service: str
    metric: str | None
    confidence: float
    score: float
    evidence: Evidence

    @property
    def name(self) -> str:
        """Return ``<service>_<metric>``, or ``<service>:<change kind>`` for a change."""
        if self.metric is not None:
            return f"{self.service}_{self.metric}"
        kind = self.evidence.change.kind if self.evidence.change else "change"
        return f"{self.service}:{kind}"


def split_name(name: str) -> tuple[str, str]:
    """Split ``<service>_<metric>`` at the first underscore (RCAEval's convention)."""
    service, _, metric = name.partition("_")
    return service, metric or "value"
