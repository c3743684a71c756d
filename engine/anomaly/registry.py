"""Detectors by name, so watches and the evaluation command can pick one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from engine.errors import InvalidInput

if TYPE_CHECKING:
    from engine.anomaly.types import Detector

DEFAULT_DETECTOR = "ensemble-calm"


# The detectors (numpy) load on first use, so naming them (config validation, --help) is cheap.
def _robust(sensitivity: float = 1.0) -> Detector:
    from engine.anomaly.detectors.record import RobustRecordDetector

    return RobustRecordDetector(sensitivity=sensitivity)


def _robust_plain(sensitivity: float = 1.0) -> Detector:
    from engine.anomaly.detectors.record import RobustRecordDetector

    return RobustRecordDetector(sensitivity=sensitivity, seasonal=False)


def _robust_v1(sensitivity: float = 1.0) -> Detector:
    """The detector before the range (novelty) channel, kept for comparison in benchmarks."""
    from engine.anomaly.detectors.record import RobustRecordDetector
    from engine.anomaly.detectors.robust import RobustParams

    return RobustRecordDetector(RobustParams(range_c=0.0), sensitivity=sensitivity)


def _ensemble(sensitivity: float = 1.0) -> Detector:
    """Robust on the raw values and on asinh(x / c), scores averaged (detectors/ensemble.py)."""
    from engine.anomaly.detectors.ensemble import EnsembleDetector

    return EnsembleDetector(sensitivity=sensitivity)


def _ensemble_coarse(sensitivity: float = 1.0) -> Detector:
    """The ensemble plus its two-hour view and five days of seasonal memory (detectors/ensemble.py)."""
    from engine.anomaly.detectors.ensemble import EnsembleDetector

    return EnsembleDetector(sensitivity=sensitivity, coarse=True)


def _ensemble_flat(sensitivity: float = 1.0) -> Detector:
    """ensemble-coarse plus the flatline view: blocks far quieter than usual (detectors/spread.py), opt in."""
    from engine.anomaly.detectors.ensemble import EnsembleDetector

    return EnsembleDetector(sensitivity=sensitivity, coarse=True, flat=True)


def _ensemble_calm(sensitivity: float = 1.0) -> Detector:
    """ensemble-coarse with a warm-up confidence ramp and damping of moves that recur at the same time of day (detectors/calm.py)."""
    from engine.anomaly.detectors.ensemble import EnsembleDetector

    return EnsembleDetector(sensitivity=sensitivity, coarse=True, calm=True)


def _restore_ensemble(state: dict[str, Any]) -> Detector:
    from engine.anomaly.detectors.ensemble import EnsembleDetector

    return EnsembleDetector.from_state(state)


def _restore_robust(state: dict[str, Any]) -> Detector:
    from engine.anomaly.detectors.record import RobustRecordDetector

    return RobustRecordDetector.from_state(state)


_FACTORIES: dict[str, Callable[..., Detector]] = {"robust": _robust, "robust-plain": _robust_plain,
                                                  "robust-v1": _robust_v1, "ensemble": _ensemble,
                                                  "ensemble-coarse": _ensemble_coarse, "ensemble-flat": _ensemble_flat,
                                                  "ensemble-calm": _ensemble_calm}
_RESTORERS: dict[str, Callable[[dict[str, Any]], Detector]] = {"robust": _restore_robust,
                                                                  "ensemble": _restore_ensemble}


# Views (coarse, flat, calm) of each ensemble variant: a restored state carries over to the
# configured variant when only the calm layer differs (it acts on scores, not on what was learned).
_ENSEMBLE_VIEWS = {"ensemble": (False, False, False), "ensemble-coarse": (True, False, False),
                   "ensemble-flat": (True, True, False), "ensemble-calm": (True, False, True)}


def carried_over(det: Detector, name: str) -> bool:
    """Make a restored detector the configured `name` when its learned state carries over; False if it cannot.

    The robust variants share one state kind, so a robust state carries over to any of them.
    """
    from engine.anomaly.detectors.ensemble import EnsembleDetector

    if isinstance(det, EnsembleDetector):
        want = _ENSEMBLE_VIEWS.get(name)
        if want is None or det.variant()[:2] != want[:2]:
            return False
        det.set_calm(want[2])
        return True
    return name.startswith("robust") and getattr(det, "name", "") == "robust"


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
