"""Pre-fill a runbook's parameters from the labels of the incident it was opened from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from engine.runbooks.params import ParamSpec, coerce
from engine.runbooks.spec import Runbook


@dataclass(frozen=True)
class Prefilled:
    """A parameter value taken from an alert label, or why the label could not be used."""

    parameter: str
    label: str
    value: Any = None
    skipped: str = ""  # non-empty: the label was there but its value broke the parameter's rules


def common_labels(label_sets: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """Return the labels every set carries with the same value."""
    sets = list(label_sets)
    if not sets:
        return {}
    first = dict(sets[0])
    return {k: v for k, v in first.items() if all(s.get(k) == v for s in sets[1:])}


def prefill(runbook: Runbook, label_sets: Iterable[Mapping[str, str]]) -> list[Prefilled]:
    """Return the parameters that an incident's alerts determine unambiguously.

    Only the alerts the runbook was suggested for (its `match`) count when any do: an incident
    can also hold symptoms elsewhere. A label counts when all those alerts agree on its value,
    so a runbook never gets a value picked from one alert among several that disagree.
    """
    sets = [dict(s) for s in label_sets]
    matching = [s for s in sets if runbook.matches(s)]
    labels = common_labels(matching or sets)
    out: list[Prefilled] = []
    for name, spec in runbook.parameters.items():
        key = spec.from_label or name
        if key not in labels:
            continue
        out.append(_one(name, key, labels[key], spec))
    return out


def _one(name: str, key: str, raw: str, spec: ParamSpec) -> Prefilled:
    try:
        return Prefilled(name, key, coerce(spec, raw, f"`{name}`"))
    except ValueError as exc:
        return Prefilled(name, key, skipped=str(exc))
