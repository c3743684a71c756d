"""The `triggers:` block of a runbook file: which alerts (or anomaly watch) may start it, and how."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

SHADOW, AUTO = "shadow", "auto"
Mode = Literal["shadow", "auto"]


def _seconds(v: Any) -> Any:
    if isinstance(v, str):
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*", v)
        if not m:
            raise ValueError(f"not a duration: {v!r} (use 0, 30s, 5m or 1h)")
        return float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]
    return v


Duration = Annotated[float, BeforeValidator(_seconds), Field(ge=0, le=7 * 24 * 3600)]


class AlertMatcher(BaseModel):
    """Which alerts fire the trigger: label matchers (exact, or `~regex`), severities, firing time."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    labels: dict[str, str] = Field(default_factory=dict)
    severity: list[str] = Field(default_factory=list, description="any of these severities; empty = any")
    for_s: Duration = Field(default=0.0, alias="for", description="minimum firing duration")

    @model_validator(mode="after")
    def _regexes_compile(self) -> "AlertMatcher":
        for key, pattern in self.labels.items():
            if pattern.startswith("~"):
                try:
                    re.compile(pattern[1:])
                except re.error as exc:
                    raise ValueError(f"labels.{key}: bad regular expression: {exc}") from exc
        if not self.labels and not self.severity:
            raise ValueError("an alert trigger needs `labels` or `severity` (it would match every alert)")
        return self


class TriggerSpec(BaseModel):
    """One trigger: an alert matcher or an anomaly watch, the run's fixed parameters, and its mode."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    alert: AlertMatcher | None = None
    watch: str | None = Field(default=None, min_length=1, max_length=120,
                              description="anomaly watch name: matches alerts carrying watch=<name>")
    for_s: Duration = Field(default=0.0, alias="for", description="minimum firing duration (watch triggers)")
    parameters: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="fixed values; the rest come from alert labels (from_label)")
    mode: Mode = "shadow"
    # The breaker, per trigger; unset takes the `auto:` section's defaults (3 runs per hour, trip after 2).
    max_runs: int | None = Field(default=None, ge=1, le=100, description="automatic runs per window")
    window_s: Duration | None = Field(default=None, alias="window", gt=0, description="the run limit's window")
    trip_after: int | None = Field(default=None, ge=1, le=20, description="consecutive failed runs that trip it")

    @model_validator(mode="after")
    def _one_source(self) -> "TriggerSpec":
        if (self.alert is None) == (self.watch is None):
            raise ValueError("a trigger needs exactly one of `alert:` or `watch:`")
        return self

    def min_firing_s(self) -> float:
        """Return how long a matching alert must have fired before the trigger counts it."""
        return self.alert.for_s if self.alert is not None else self.for_s

    def wanted(self) -> dict[str, str]:
        """Return the label matchers: the alert's, or watch=<name> for an anomaly watch."""
        return dict(self.alert.labels) if self.alert is not None else {"watch": self.watch or ""}

    def offers(self, labels: dict[str, str], severity_label: str = "severity") -> bool:
        """Return True when an alert's labels (and severity) fit, whatever its firing time."""
        severities = self.alert.severity if self.alert is not None else []
        return all(label_fits(p, labels.get(k)) for k, p in self.wanted().items()) and \
            (not severities or labels.get(severity_label) in severities)


def label_fits(pattern: str, value: str | None) -> bool:
    """Return True for an exact match, or a full regular-expression match after `~`."""
    if value is None:
        return False
    return re.fullmatch(pattern[1:], value) is not None if pattern.startswith("~") else pattern == value
