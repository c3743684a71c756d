"""Detector interface and the anomaly evidence handed to the alert pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Evidence:
    """What the detector expected at a point, for an alert's explanation."""

    value: float
    expected: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Anomaly:
    """An anomalous stretch of a series: score, evidence and since when it lasts."""

    at: datetime
    since: datetime
    score: float
    evidence: Evidence

    def describe(self) -> str:
        """Return a one-line summary for logs and alert annotations."""
        e = self.evidence
        return (
            f"value {e.value:.4g} outside expected {e.lower:.4g}..{e.upper:.4g} "
            f"since {self.since.isoformat()} (score {self.score:.2f})"
        )


@runtime_checkable
class Detector(Protocol):
    """A causal streaming detector: scores in [0, 1], small serializable state."""

    name: str

    def update(self, timestamp: float, value: float) -> float:
        """Score one new point (timestamp in epoch seconds)."""
        ...

    def score_batch(self, timestamps: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Score consecutive new points; same result as calling update on each."""
        ...

    def evidence(self) -> Evidence | None:
        """Return the expected range at the last scored point."""
        ...

    def feedback_not_anomaly(self) -> None:
        """Make the series less sensitive to deviations like the last scored one."""
        ...

    def to_state(self) -> dict[str, Any]:
        """Return a JSON-serializable snapshot of the detector."""
        ...
