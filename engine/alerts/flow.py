"""What the pipeline's stages read and write: the state of one transaction and its outcome."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from engine.alerts.card import IncidentCard
from engine.alerts.grouping import ModelMemo
from engine.alerts.lifecycle import Change
from engine.alerts.model import GroupingModel
from engine.alerts.types import AlertState, Decision, Incident


@dataclass
class PipelineState:
    """What the stages read and change: the batch's fingerprints and the candidate incidents."""

    alerts: dict[str, AlertState]
    incidents: dict[int, Incident]
    next_temp_id: int = -1
    model: GroupingModel | None = None  # the ingest's model (learned co-occurrence); None: a fresh one
    # The grouping model's verdicts within one batch or transaction (Pipeline.process), cleared
    # whenever a candidate changes.
    memo: ModelMemo = field(default_factory=ModelMemo)
    # Which shared memory keys each incident already holds at an onset, within one batch or
    # transaction (lifecycle.join).
    refreshed: dict[tuple[int, int], tuple[tuple[str, ...], dict[str, float], float]] = field(default_factory=dict)


@dataclass
class Outcome:
    """What one batch did: decisions to store and per-incident changes to notify about."""

    decisions: list[Decision] = field(default_factory=list)
    changes: dict[int, list[Change]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    # Incidents long resolved (not in memory) whose member alerts changed: their cards, which
    # count firing alerts from the alert rows, are re-rendered after the rows are saved.
    stale: set[int] = field(default_factory=set)

    def note(self, inc: Incident, changes: list[Change]) -> None:
        """Record changes against an incident (an empty list still marks it touched)."""
        self.changes.setdefault(inc.id, []).extend(changes)

    def merge(self, other: Outcome) -> None:
        """Add another batch's outcome to this one (one transaction, several batches)."""
        self.decisions += other.decisions
        self.counts.update(other.counts)
        for inc_id, changes in other.changes.items():
            self.changes.setdefault(inc_id, []).extend(changes)
        self.stale |= other.stale


@dataclass
class Flow:
    """One transaction's work after the per-alert stages: what enrich and notify act on."""

    session: AsyncSession
    state: PipelineState
    out: Outcome
    now: datetime
    # Resolved incidents out of memory whose cards count alerts this transaction resolved.
    stale: dict[int, Incident] = field(default_factory=dict)
    cards: dict[int, IncidentCard] = field(default_factory=dict)  # enriched incident cards
