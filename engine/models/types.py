"""Plain values the model registry port speaks in (no MLflow types leak out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

READY = "READY"
PENDING = "PENDING_REGISTRATION"
FAILED = "FAILED_REGISTRATION"


@dataclass(frozen=True)
class RegisteredModel:
    """A registered model: its aliases (alias -> version) and bookkeeping times."""

    name: str
    aliases: dict[str, int] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    description: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    latest_version: int | None = None


@dataclass(frozen=True)
class ModelVersion:
    """One version of a registered model as the registry reports it."""

    name: str
    version: int
    status: str = READY
    run_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    status_message: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        """Return True when the version finished registration."""
        return self.status == READY
