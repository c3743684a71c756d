"""What every held-out storm style must hold, whatever it is about: the checks the style tests share."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from engine.alerts.config import AlertsConfig
from engine.alerts.fingerprint import fingerprint_of


def alerts_by_truth(storm: Any, absent: set[str]) -> dict[str, list[Any]]:
    """Return the storm's alerts by their true incident, after checking what every style holds.

    No alert carries a label of `absent` (what the style is written without), one alert identity is
    never firing for two causes at once, and the storm's depends_on is valid (no cycle).
    """
    by_truth: dict[str, list[Any]] = defaultdict(list)
    by_fp: dict[str, list[Any]] = defaultdict(list)
    for a in storm.alerts:
        by_truth[a.truth].append(a)
        by_fp[fingerprint_of(a.labels, frozenset())].append(a)
        assert not absent & set(a.labels), a.labels
    for alerts in by_fp.values():
        spans = sorted((a.start, a.end) for a in alerts)
        assert all(b[0] >= a[1] for a, b in zip(spans, spans[1:]))
    AlertsConfig(depends_on=storm.depends_on)
    return by_truth
