"""The facts a postmortem draft is written from (collected from the store, pure to render)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

TODO_PREFIX = "todo:"  # a note starting so (any case) becomes an action item


@dataclass(frozen=True)
class Entry:
    """One timeline line: when, what kind (alert, ack, note, runbook, model, config...), who, what."""

    at: datetime
    kind: str
    text: str
    actor: str = ""


@dataclass(frozen=True)
class Hypothesis:
    """A ranked root-cause hypothesis and what people said about it."""

    rank: int
    name: str
    confidence: float
    confirmed_by: list[str] = field(default_factory=list)
    rejected_by: list[str] = field(default_factory=list)


@dataclass
class Facts:
    """Everything the draft shows; `window` bounds which audit events count as the incident's."""

    incident_id: int
    title: str
    severity: str
    status: str
    opened_at: datetime
    resolved_at: datetime | None
    services: list[str]
    alert_counts: dict[str, int]  # alertname -> alerts in the incident
    acked_at: datetime | None = None
    acked_by: str | None = None
    resolved_by: str | None = None
    channel: str | None = None  # the incident channel's name, when one was opened
    impact_start: datetime | None = None  # the first alert's start (often before Opsbot opened the incident)
    timeline: list[Entry] = field(default_factory=list)
    hypotheses: list[Hypothesis] = field(default_factory=list)
    notes: list[Entry] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def todo_items(notes: list[Entry]) -> list[Entry]:
    """Return notes tagged `todo:` as action items (the tag removed), in the order written."""
    out = []
    for n in notes:
        text = n.text.strip()
        if text.lower().startswith(TODO_PREFIX):
            out.append(Entry(n.at, "todo", text[len(TODO_PREFIX):].strip(), n.actor))
    return out
