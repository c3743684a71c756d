"""The alert pipeline as a chain of pure stages over in-memory state: dedup -> group -> lifecycle."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from engine.alerts import lifecycle
from engine.alerts.config import AlertsConfig
from engine.alerts.dedup import FIRES, QUIET, Dedup, absorb_repeat, apply_dedup, decide_dedup
from engine.alerts.grouping import choose_incident
from engine.alerts.lifecycle import Change
from engine.alerts.model import GroupingModel
from engine.alerts.types import AlertEvent, AlertState, Decision, Incident


@dataclass
class PipelineState:
    """What the stages read and change: the batch's fingerprints and the candidate incidents."""

    alerts: dict[str, AlertState]
    incidents: dict[int, Incident]
    next_temp_id: int = -1
    model: GroupingModel | None = None  # the ingest's model (learned co-occurrence); None: a fresh one


@dataclass
class Outcome:
    """What one batch did: decisions to store and per-incident changes to notify about."""

    decisions: list[Decision] = field(default_factory=list)
    changes: dict[int, list[Change]] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
    # Incidents long resolved (not in memory) whose member alerts changed: their cards, which
    # count firing alerts from the alert rows, are re-rendered after the rows are saved.
    stale: set[int] = field(default_factory=set)

    def note(self, inc: Incident, changes: list[Change]) -> None:
        """Record changes against an incident (an empty list still marks it touched)."""
        self.changes.setdefault(inc.id, []).extend(changes)


def _group(state: PipelineState, ev: AlertEvent, st: AlertState, cfg: AlertsConfig,
           now: datetime, out: Outcome) -> None:
    cands = list(state.incidents.values())
    g = choose_incident(ev, st, cands, cfg, now, state.model)
    if g.incident is None:
        inc = lifecycle.new_incident(state.next_temp_id, ev, cfg, now, g.recurrence_of, g.recurrence_nth)
        state.next_temp_id -= 1
        state.incidents[inc.id] = inc
        again = f" (recurrence of #{g.recurrence_of})" if g.recurrence_of is not None else ""
        changes = [Change("opened", f"opened by {ev.alertname}{again}")]
    else:
        inc, changes = g.incident, []
    old = state.incidents.get(st.incident_id) if st.incident_id is not None else None
    if old is not None and old is not inc:
        # Firing belongs to the incident the alert's row points at: keep the cache equal to
        # what a reload from the alerts table would build.
        old.drop_firing(ev.fingerprint)
    changes += lifecycle.join(inc, st, ev, cfg, now, g.inhibited_by)
    stage = "inhibit" if g.inhibited_by else "group"
    out.decisions.append(Decision(stage, g.name, g.reason, ev.fingerprint, inc.id))
    out.counts[f"group.{g.name}"] += 1
    out.note(inc, changes)


def process(state: PipelineState, events: tuple[AlertEvent, ...] | list[AlertEvent],
            cfg: AlertsConfig, now: datetime) -> Outcome:
    """Run every event of a batch through dedup, grouping and lifecycle, in order."""
    out = Outcome()
    # Counted by the enum's plain value: hashing the enum itself runs Python code per alert.
    kinds: dict[str, int] = {}
    alerts, window = state.alerts, cfg.flap_window_s
    for ev in events:
        prev = alerts.get(ev.fingerprint)
        kind = absorb_repeat(prev, ev, now)  # the commonest case by far, decided and applied at once
        if kind is not None:
            kinds[kind] = kinds.get(kind, 0) + 1
            continue
        d = decide_dedup(prev, ev, now, window)
        st = apply_dedup(prev, ev, d, now)
        alerts[ev.fingerprint] = st
        kind = d.kind._value_
        kinds[kind] = kinds.get(kind, 0) + 1
        if d.kind in QUIET:
            continue  # repeated resolves: count them, store nothing else
        inc = state.incidents.get(st.incident_id) if st.incident_id is not None else None
        out.decisions.append(Decision("dedup", kind, d.reason, ev.fingerprint, st.incident_id))
        if d.kind in FIRES:
            if d.kind is Dedup.FLAP and inc is not None:
                inc.flaps += 1
                out.note(inc, [Change("flap", d.reason)])
            _group(state, ev, st, cfg, now, out)
        elif d.kind is Dedup.RESOLVED and inc is not None:
            out.note(inc, lifecycle.alert_resolved(inc, st, cfg, now))
        elif d.kind is Dedup.RESOLVED and st.incident_id is not None:
            out.stale.add(st.incident_id)
    for kind, n in kinds.items():
        out.counts["dedup." + kind] += n
    return out


def tick(state: PipelineState, cfg: AlertsConfig, now: datetime) -> Outcome:
    """Apply time-driven transitions to every loaded incident."""
    out = Outcome()
    for inc in state.incidents.values():
        changes = lifecycle.tick(inc, cfg, now)
        if state.model is not None and any(c.kind == "resolved" for c in changes):
            state.model.learn_closed(inc)  # its alerts' group keys were together
        if changes:
            out.note(inc, changes)
            for c in changes:
                out.decisions.append(Decision("lifecycle", c.kind, c.text, None, inc.id))
    return out
