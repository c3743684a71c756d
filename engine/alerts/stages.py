"""The per-alert stages of the pipeline: dedup -> group -> inhibit -> lifecycle.

Each stage is a small object with a pure decision that returns a named reason (the way
Alertmanager's `notify` stages do) and a `step` that applies it to the in-memory state of
one transaction. The runner (pipeline.Pipeline) calls them in the declared order for every
alert; a stage ends an alert's trip by returning False.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from engine.alerts import lifecycle
from engine.alerts.config import AlertsConfig
from engine.alerts.dedup import FIRES, QUIET, Dedup, DedupDecision
from engine.alerts.grouping import GroupDecision, choose_incident, onset_ts
from engine.alerts.lifecycle import Change
from engine.alerts.model_keys import Place, place
from engine.alerts.types import AlertEvent, AlertState, Decision, Incident

if TYPE_CHECKING:
    from engine.alerts.flow import Outcome, PipelineState


@dataclass(slots=True)
class Trip:
    """One alert's way through the per-alert stages: what each stage decided about it."""

    ev: AlertEvent
    st: AlertState
    dedup: DedupDecision
    now: datetime
    group: GroupDecision | None = None
    inhibit: InhibitDecision | None = None
    incident: Incident | None = None
    ts: float | None = None  # the occurrence's onset (grouping.onset_ts), once the group stage needed it
    where: Place | None = None  # GroupingModel.place of its labels, once the group stage needed it


class AlertStage(Protocol):
    """A per-alert stage: its name and the step that applies its decision (False ends the trip)."""

    name: str

    def step(self, state: PipelineState, trip: Trip, out: Outcome) -> bool:
        """Apply this stage's decision to one alert; return whether later stages run."""
        ...


class DedupStage:
    """What a delivery means against the fingerprint's stored state (new, repeat, flap, ...)."""

    name = "dedup"

    def step(self, state: PipelineState, trip: Trip, out: Outcome) -> bool:
        """Record the dedup decision; only deliveries that change something go on."""
        d = trip.dedup
        if d.kind in QUIET:
            return False  # repeated resolves: counted by the runner, nothing else stored
        out.decisions.append(Decision("dedup", d.kind._value_, d.reason, trip.ev.fingerprint,
                                      trip.st.incident_id))
        return True


class GroupStage:
    """Which incident a firing alert joins, or a new one (the grouping decision, unchanged)."""

    name = "group"

    def __init__(self, cfg: AlertsConfig) -> None:
        self.cfg = cfg
        # The last onset computed, by its startsAt and now objects: a storm's alerts share both
        # (datetimes are immutable, and parsing shares one object per timestamp value).
        self._onset: tuple[object, object, float] = (None, None, 0.0)

    def step(self, state: PipelineState, trip: Trip, out: Outcome) -> bool:
        """Choose the incident for a firing alert; other deliveries pass through."""
        if trip.dedup.kind not in FIRES:
            return True
        last = self._onset
        if trip.ev.starts_at is last[0] and trip.now is last[1]:
            trip.ts = last[2]
        else:
            trip.ts = onset_ts(trip.ev, trip.now)
            self._onset = (trip.ev.starts_at, trip.now, trip.ts)
        # Read once here for the memo key and the memory keys the lifecycle stage writes.
        # The model's place: an alert no configured label names gets the entity label it learned.
        labels = trip.ev.labels
        trip.where = state.model.place(self.cfg, labels) if state.model is not None else place(self.cfg, labels)
        trip.group = choose_incident(trip.ev, trip.st, state.incidents.values(), self.cfg, trip.now,
                                     state.model, state.memo, trip.ts, trip.where)
        return True


@dataclass(frozen=True, slots=True)
class InhibitDecision:
    """Whether an alert is muted under a firing source alert: the stage recorded and why."""

    name: str  # inhibited | not_inhibited
    stage: str  # the stage its decision row is recorded under: inhibit | group
    source: str | None


_NOT_INHIBITED = InhibitDecision("not_inhibited", "group", None)  # the commonest verdict, built once


def decide_inhibit(g: GroupDecision) -> InhibitDecision:
    """Return whether the grouping decision attached the alert under an inhibiting source."""
    if g.inhibited_by:
        return InhibitDecision("inhibited", "inhibit", g.inhibited_by)
    return _NOT_INHIBITED


class InhibitStage:
    """Mutes an alert a firing source alert inhibits: attached to its incident, not posted."""

    name = "inhibit"

    def step(self, state: PipelineState, trip: Trip, out: Outcome) -> bool:
        """Decide whether a source alert mutes this one (the lifecycle stage applies it)."""
        if trip.group is not None:
            trip.inhibit = decide_inhibit(trip.group)
        return True


def decide_lifecycle(kind: Dedup, has_incident: bool, known_incident: bool) -> str:
    """Name what a delivery does to its incident: join, flap, resolve, stale_card or none."""
    if kind in FIRES:
        return "flap" if kind is Dedup.FLAP and has_incident else "join"
    if kind is Dedup.RESOLVED:
        if has_incident:
            return "resolve"
        return "stale_card" if known_incident else "none"
    return "none"


_COUNTED = {n: "group." + n for n in ("model", "new", "recurrence", "flapping", "inhibited")}  # built once


class LifecycleStage:
    """Applies what a delivery does to its incident: open, join, reopen, resolve, flap."""

    name = "lifecycle"

    def __init__(self, cfg: AlertsConfig) -> None:
        self.cfg = cfg

    def step(self, state: PipelineState, trip: Trip, out: Outcome) -> bool:
        """Change the incident in memory and note the changes for the notify stage."""
        st, cfg, now = trip.st, self.cfg, trip.now
        inc = state.incidents.get(st.incident_id) if st.incident_id is not None else None
        what = decide_lifecycle(trip.dedup.kind, inc is not None, st.incident_id is not None)
        if what == "flap" and inc is not None:
            inc.flaps += 1
            out.note(inc, [Change("flap", alertname=trip.ev.alertname, count=inc.flaps)])
        if what in ("flap", "join"):
            self._join(state, trip, out)
        elif what == "resolve" and inc is not None:
            out.note(inc, lifecycle.alert_resolved(inc, st, cfg, now))
        elif what == "stale_card" and st.incident_id is not None:
            out.stale.add(st.incident_id)
        return True

    def _join(self, state: PipelineState, trip: Trip, out: Outcome) -> None:
        g, st, ev, now = trip.group, trip.st, trip.ev, trip.now
        assert g is not None and trip.inhibit is not None  # the group stage ran for every firing alert
        if g.incident is None:
            inc = lifecycle.new_incident(state.next_temp_id, ev, self.cfg, now, g.recurrence_of, g.recurrence_nth)
            state.next_temp_id -= 1
            state.incidents[inc.id] = inc
            state.memo.clear()  # a new candidate: every remembered verdict may change
            changes = [Change("opened", alertname=ev.alertname, incident=g.recurrence_of)]
        else:
            inc, changes = g.incident, []
        old = state.incidents.get(st.incident_id) if st.incident_id is not None else None
        if old is not None and old is not inc:
            # Firing belongs to the incident the alert's row points at: keep the cache equal to
            # what a reload from the alerts table would build.
            old.drop_firing(ev.fingerprint)
        rev = inc.model_rev
        changes += lifecycle.join(inc, st, ev, self.cfg, now, trip.inhibit.source, trip.ts, trip.where,
                                  state.refreshed)
        if inc.model_rev != rev:  # what the model reads of a candidate moved
            state.memo.clear()
        out.decisions.append(Decision(trip.inhibit.stage, g.name, g.reason, ev.fingerprint, inc.id))
        out.counts[_COUNTED.get(g.name) or "group." + g.name] += 1
        out.note(inc, changes)
