"""Detectors by name, so watches and the evaluation command can pick one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.anomaly.detectors.record import RobustRecordDetector
from engine.anomaly.detectors.robust import RobustParams
from engine.anomaly.types import Detector
from engine.errors import InvalidInput

DEFAULT_DETECTOR = "robust"

_FACTORIES: dict[str, Callable[..., Detector]] = {
    "robust": lambda sensitivity=1.0: RobustRecordDetector(sensitivity=sensitivity),
    "robust-plain": lambda sensitivity=1.0: RobustRecordDetector(sensitivity=sensitivity, seasonal=False),
    # The detector before the range (novelty) channel, kept for comparison in benchmarks.
    "robust-v1": lambda sensitivity=1.0: RobustRecordDetector(RobustParams(range_c=0.0), sensitivity=sensitivity),
}
_RESTORERS: dict[str, Callable[[dict[str, Any]], Detector]] = {
    "robust": RobustRecordDetector.from_state,
}


def names() -> list[str]:
    """Return the registered detector names."""
    return sorted(_FACTORIES)


def create(name: str = DEFAULT_DETECTOR, sensitivity: float = 1.0) -> Detector:
    """Create a fresh detector by name."""
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise InvalidInput(f"unknown detector {name!r}", hint=f"choose one of {', '.join(names())}") from None
    return factory(sensitivity=sensitivity)


def restore(state: dict[str, Any]) -> Detector:
    """Rebuild a detector from its to_state() snapshot."""
    kind = state.get("detector", "")
    if kind not in _RESTORERS:
        raise InvalidInput(f"cannot restore detector state of kind {kind!r}")
    return _RESTORERS[kind](state)
