"""The `watches:` section of opsbot.yaml: metric watches scored by an anomaly detector."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.anomaly import registry

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(s|m|h|d)?$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# What engine/lab/anomaly/nab/threshold.production_threshold gives for each detector on NAB's
# public subset: the median of the leave-one-category-out standard-profile thresholds, 2 decimals
# (tests/unit/anomaly/test_anomaly_threshold.py checks it). Scores above 0.5 mean "beats the
# series' own recent record". A watch that names no threshold gets its detector's.
PRODUCTION_THRESHOLDS = {"ensemble": 0.57, "ensemble-coarse": 0.60, "ensemble-flat": 0.60, "ensemble-calm": 0.60}
DEFAULT_THRESHOLD = PRODUCTION_THRESHOLDS[registry.DEFAULT_DETECTOR]


def production_threshold(detector: str) -> float:
    """Return the threshold a watch with this detector uses when it names none."""
    return PRODUCTION_THRESHOLDS.get(detector, DEFAULT_THRESHOLD)


def seconds(value: str | float | int) -> float:
    """Parse a duration (`90`, `30s`, `5m`, `2h`, `7d`) into seconds."""
    if isinstance(value, (int, float)):
        return float(value)
    m = _DURATION.match(value.strip())
    if not m:
        raise ValueError(f"{value!r} is not a duration (use e.g. 30s, 5m, 2h, 7d)")
    return float(m.group(1)) * _UNITS[m.group(2) or "s"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ForecastConfig(_Strict):
    """Predictive alert: fire when the forecast crosses `limit` within `horizon`."""

    limit: float
    horizon: str = "6h"
    direction: Literal["above", "below"] = "above"
    what: str = Field(default="", max_length=80, description="words for the alert, e.g. 'disk' or 'p95 latency'")

    @field_validator("horizon")
    @classmethod
    def _dur(cls, v: str) -> str:
        seconds(v)
        return v


class ReplayConfig(_Strict):
    """A CSV of `timestamp,value` replayed as if live (demos and tests, no Prometheus)."""

    path: str
    # Row that is "now" when the replay starts; earlier rows are history. Default: the last row
    # that leaves the lookback window full of history.
    start_row: int | None = Field(default=None, ge=1)


class WatchConfig(_Strict):
    """One metric watch: where the series come from, how they are scored and who hears of it."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    query: str | None = Field(default=None, description="PromQL; each returned series is watched")
    replay: ReplayConfig | None = None
    step: str = "1m"
    lookback: str = "1d"
    interval: str | None = Field(default=None, description="how often it runs; default: every step")
    detector: str = registry.DEFAULT_DETECTOR
    sensitivity: float = Field(default=1.0, gt=0, le=10)
    threshold: float = Field(default=DEFAULT_THRESHOLD, gt=0, lt=1)
    # Alert labels; a value `$name` copies the series' label `name` (e.g. service: $job).
    labels: dict[str, str] = Field(default_factory=dict)
    channel: str | None = None
    severity: str = "warning"
    forecast: ForecastConfig | None = None
    warmup_points: int = Field(default=100, ge=0, description="points learned before any alert")
    resolve_after: str | None = Field(default=None, description="normal this long resolves; default max(3 steps, 30m)")
    max_series: int = Field(default=50, ge=1, le=1000)
    timeout_s: float = Field(default=10.0, gt=0, le=120)

    @field_validator("step", "lookback", "interval", "resolve_after")
    @classmethod
    def _dur(cls, v: str | None) -> str | None:
        if v is not None:
            seconds(v)
        return v

    @field_validator("detector")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in registry.names():
            raise ValueError(f"unknown detector {v!r}; choose one of {', '.join(registry.names())}")
        return v

    @model_validator(mode="before")
    @classmethod
    def _detector_threshold(cls, data: object) -> object:
        # A watch that names no threshold runs at its detector's production threshold.
        if isinstance(data, dict) and "threshold" not in data and isinstance(data.get("detector"), str):
            return {**data, "threshold": production_threshold(data["detector"])}
        return data

    @model_validator(mode="after")
    def _one_source(self) -> "WatchConfig":
        if (self.query is None) == (self.replay is None):
            raise ValueError("a watch needs exactly one source: `query` (PromQL) or `replay` (CSV)")
        if seconds(self.lookback) < 10 * seconds(self.step):
            raise ValueError("lookback must cover at least 10 steps")
        return self

    @property
    def step_s(self) -> float:
        """Return the step in seconds."""
        return seconds(self.step)

    @property
    def lookback_s(self) -> float:
        """Return the lookback in seconds."""
        return seconds(self.lookback)

    @property
    def interval_s(self) -> float:
        """Return how often the watch runs, in seconds (at least 5)."""
        return max(5.0, seconds(self.interval) if self.interval else self.step_s)

    @property
    def resolve_after_s(self) -> float:
        """Return how long a series must look normal before its alert resolves."""
        # Detectors damp repeats inside one incident, so quiet scores alone are not "normal"
        # yet: wait a while, and a long enough while that one stretch does not alert twice.
        return seconds(self.resolve_after) if self.resolve_after else max(3 * self.step_s, 1800.0)


def check_unique(watches: list[WatchConfig]) -> list[WatchConfig]:
    """Raise ValueError when two watches share a name."""
    seen: set[str] = set()
    for w in watches:
        if w.name in seen:
            raise ValueError(f"watch {w.name!r} is defined twice")
        seen.add(w.name)
    return watches
