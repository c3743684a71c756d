"""The alert-manager port: what the engine needs from Alertmanager's silences API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Matcher:
    """One label matcher of a silence."""

    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True


@dataclass(frozen=True)
class Silence:
    """A silence as Alertmanager reports it."""

    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    state: str = "active"  # active | pending | expired
    extra: dict = field(default_factory=dict, compare=False)


class SilencePort(Protocol):
    """Create, list and expire silences (Alertmanager API v2 semantics)."""

    async def create_silence(self, matchers: list[Matcher], starts_at: datetime, ends_at: datetime,
                             created_by: str, comment: str) -> str: ...

    async def list_silences(self) -> list[Silence]: ...

    async def expire_silence(self, silence_id: str) -> None: ...
