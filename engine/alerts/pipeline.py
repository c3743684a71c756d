"""The alert pipeline as declared stages, run by one runner (Alertmanager's MultiStage).

    parse -> dedup -> group -> inhibit -> lifecycle -> enrich -> notify

`parse` runs at the door, before a body is stored, so a bad body is answered 4xx and never
kept. dedup .. lifecycle run for every alert of a transaction, in order, over in-memory state
(stages.py). enrich and notify run once per transaction for every incident it touched
(enrich.py, notify.py): they read the store and write the outbox in the same transaction.
The store only stores (store.py); the engine alone decides whether a body is processed in
the request or queued for the pump (ingest.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from engine.alerts import lifecycle, repo
from engine.alerts.config import AlertsConfig
from engine.alerts.dedup import QUIET, absorb_repeat, apply_dedup, decide_dedup
from engine.alerts.flow import Flow, Outcome, PipelineState
from engine.alerts.parse import ParseStage
from engine.alerts.stages import AlertStage, DedupStage, GroupStage, InhibitStage, LifecycleStage, Trip
from engine.alerts.types import AlertEvent, Decision, Status

__all__ = ["Flow", "Outcome", "Pipeline", "PipelineState", "process", "tick"]


class Store(Protocol):
    """What the runner needs of the store: ids for new incidents, then one save."""

    async def assign_ids(self, s: AsyncSession, state: PipelineState) -> dict[int, int]:
        """Insert new incidents and return temp id -> real id."""
        ...

    async def save(self, s: AsyncSession, state: PipelineState, decisions: list[Decision], now: datetime,
                   remap: dict[int, int], actor: str | None = None) -> None:
        """Write what the transaction changed."""
        ...


class FlowStage(Protocol):
    """A per-transaction stage (enrich, notify): reads the store and writes the outbox."""

    name: str

    async def run(self, flow: Flow) -> None:
        """Act on every incident the transaction touched."""
        ...


class Pipeline:
    """The declared stages and the one runner that calls them in order."""

    def __init__(self, cfg: AlertsConfig, door: ParseStage, tail: Sequence[FlowStage] = (),
                 store: Store | None = None) -> None:
        self.cfg = cfg
        self.door = door
        self.store = store
        self.alert_stages: tuple[AlertStage, ...] = (DedupStage(), GroupStage(cfg), InhibitStage(),
                                                     LifecycleStage(cfg))
        self.tail = tuple(tail)

    @property
    def names(self) -> tuple[str, ...]:
        """Return the stage names in the order they run."""
        return (self.door.name, *(s.name for s in self.alert_stages), *(s.name for s in self.tail))

    def process(self, state: PipelineState, events: Sequence[AlertEvent], now: datetime,
                same_transaction: bool = False) -> Outcome:
        """Run every event of a batch through the per-alert stages, in order.

        `same_transaction`: the previous call ran on this state at this `now` with nothing else
        in between (the next batch of one transaction), so what it remembered still holds.
        """
        out = Outcome()
        # Verdicts are remembered for one call, or for the batches of one transaction: between
        # other calls (ticks, people's actions, corrections) candidates change outside the stages
        # that clear it.
        if not same_transaction:
            state.memo.clear()
            state.refreshed.clear()
        # Counted by the enum's plain value: hashing the enum itself runs Python code per alert.
        kinds: dict[str, int] = {}
        alerts, window, stages = state.alerts, self.cfg.flap_window_s, self.alert_stages
        for ev in events:
            prev = alerts.get(ev.fingerprint)
            if prev is not None:  # a known alert: most often a repeat, decided and applied at once
                kind = absorb_repeat(prev, ev, now)
                if kind is not None:
                    kinds[kind] = kinds.get(kind, 0) + 1
                    continue
            d = decide_dedup(prev, ev, now, window)
            st = apply_dedup(prev, ev, d, now)
            alerts[ev.fingerprint] = st
            kinds[d.kind._value_] = kinds.get(d.kind._value_, 0) + 1
            if d.kind in QUIET:
                continue  # repeated resolves: counted, nothing else stored
            trip = Trip(ev, st, d, now)
            for stage in stages:
                if not stage.step(state, trip, out):
                    break
        for kind, n in kinds.items():
            out.counts["dedup." + kind] += n
        return out

    async def commit(self, s: AsyncSession, state: PipelineState, out: Outcome, now: datetime,
                     actor: str | None = None) -> dict[int, int]:
        """Give new incidents their ids, run enrich and notify, then store it all; return the id remap."""
        assert self.store is not None, "a pipeline without a store only processes"
        remap = await self.store.assign_ids(s, state)
        if remap:  # the tail stages and the store see real ids only
            out.changes = {remap.get(i, i): c for i, c in out.changes.items()}
        flow = Flow(s, state, out, now)
        for inc_id in out.stale - set(out.changes):
            old = await repo.load_incident(s, inc_id)
            if old is not None:
                # As a reload after this transaction would count them: alerts it resolved or
                # moved elsewhere leave the card.
                gone = [fp for fp, a in ((fp, state.alerts.get(fp)) for fp in old.firing)
                        if a is not None and (a.status is not Status.FIRING or a.incident_id != inc_id)]
                for fp in gone:
                    old.drop_firing(fp)
                flow.stale[inc_id] = old
        for stage in self.tail:
            await stage.run(flow)
        await self.store.save(s, state, out.decisions, now, remap, actor)
        return remap


def process(state: PipelineState, events: Sequence[AlertEvent], cfg: AlertsConfig, now: datetime) -> Outcome:
    """Run a batch through the per-alert stages (dedup, group, inhibit, lifecycle) without a store."""
    return Pipeline(cfg, _NO_DOOR).process(state, events, now)


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
                out.decisions.append(Decision("lifecycle", c.kind, c.kind, None, inc.id, facts=c.facts()))
    return out


_NO_DOOR = ParseStage(AlertsConfig().limits, lambda b: "", frozenset(), "severity")  # process() never parses
