"""What every step runner gets and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.ports import AliasControl, DurationSilences, Metrics
from engine.runbooks.redact import Redactor


@dataclass(frozen=True)
class StepResult:
    """How a step ended: ok, a one-line summary, and (redacted, truncated) output."""

    ok: bool
    summary: str
    output: str = ""


@dataclass
class StepDeps:
    """Ports, secrets and limits for one run; `state` carries facts between steps (alias history)."""

    metrics: Metrics | None = None
    silences: DurationSilences | None = None
    registry: AliasControl | None = None
    secrets: dict[str, str] = field(default_factory=dict)
    base_env: dict[str, str] = field(default_factory=dict)
    redactor: Redactor = field(default_factory=Redactor)
    output_limit: int = 3000
    requester: str = ""
    frozen_aliases: dict[str, str | None] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)

    def clean(self, text: str) -> str:
        """Return output redacted, then truncated."""
        from engine.runbooks.redact import truncate

        return truncate(self.redactor.redact(text), self.output_limit)
