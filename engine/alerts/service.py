"""The alerts feature facade: ingest, people's actions on incidents, and silences."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable, Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from engine.actor import Actor
from engine.alerts import lifecycle, repo
from engine.alerts.config import AlertsConfig
from engine.alerts.fingerprint import sha256_hex
from engine.alerts.ingest import AlertIngest, IngestResult
from engine.alerts.lifecycle import Change
from engine.alerts.enrich import ContextEnricher
from engine.alerts.messages import MessageExtension, card_notice
from engine.alerts.notify_stage import EmitFn
from engine.alerts.pipeline import Outcome, PipelineState
from engine.ports import Matcher, Silences
from engine.alerts.queries import AlertQueries
from engine.alerts.types import AlertState, Decision, Incident
from engine.core.clock import Clock
from engine.errors import Conflict, InvalidInput, NotFound, Unavailable
from engine.store.db import Database

if TYPE_CHECKING:
    from engine.alerts.pump import AlertPump

log = logging.getLogger("opsbot.alerts")

def silence_matchers(alerts: list[AlertState], service_label: str) -> list[list[Matcher]]:
    """Return one matcher set per alert name, each covering the services that alert fires on.

    Alertmanager ANDs a silence's matchers, so one silence for `A|B` on `x|y` would also hide
    A on y and B on x, which are not in the incident. One per name silences what is there.
    """
    by_name: dict[str, set[str]] = {}
    for a in alerts:
        services = by_name.setdefault(a.labels.get("alertname", ""), set())
        if service_label in a.labels:
            services.add(a.labels[service_label])
    out = []
    for name, services in sorted(by_name.items()):
        matchers = [Matcher("alertname", name)]
        if services:
            ordered = sorted(services)
            matchers.append(Matcher(service_label, ordered[0]) if len(ordered) == 1 else
                            Matcher(service_label, "|".join(re.escape(x) for x in ordered), is_regex=True))
        out.append(matchers)
    return out


class AlertService:
    """What the bot calls for alerts: every method re-reads state and checks it."""

    def __init__(self, db: Database, cfg: AlertsConfig, clock: Clock, emit: EmitFn,
                 silences: Silences | None = None, hasher: Callable[[bytes], str] = sha256_hex, *,
                 extensions: Sequence[MessageExtension] = (), enrichers: Sequence[ContextEnricher] = ()) -> None:
        self.cfg, self.clock, self.silences = cfg, clock, silences
        # Other features' additions to the incident message, declared by the composition root,
        # run as the pipeline's enrich stage: extensions add buttons/suggestions from the
        # context, enrichers read the store.
        self.ingest = AlertIngest(db, cfg, clock, emit, hasher, extensions=extensions, enrichers=enrichers)
        self.store = self.ingest.store
        self.pipeline = self.ingest.pipeline
        # Learned co-occurrence of alert group keys: observe(keys_a, keys_b, together, weight)
        self.cooccurrence = self.ingest.model.cooc
        self.queries = AlertQueries(db, cfg, clock, self.store.held)

    def enable_pump(self) -> AlertPump:
        """Store webhook bodies and answer; return the pump that processes them (multi-worker serving)."""
        from engine.alerts.pump import AlertPump  # pump imports ingest; only serving with workers needs it

        self.ingest.queue_mode = True
        return AlertPump(self.ingest)

    async def render_card(self, s: AsyncSession, incident_id: int, now: datetime) -> None:
        """Re-render a posted incident's message from its current state, through enrich and notify."""
        inc = await repo.load_incident(s, incident_id)
        if inc is not None and inc.posted:
            await self.ingest.notify.emit(s, [card_notice(inc, await self.ingest.enrich.card(s, inc))], now)

    async def aclose(self) -> None:
        """Write held repeat counters and close the Alertmanager client, if any."""
        try:
            await self.ingest.flush_counters()
        except Exception:  # the store is gone: at most counter_flush_s of repeat counts is lost
            log.exception("could not write held alert counters at shutdown")
        closer = getattr(self.silences, "aclose", None)
        if closer is not None:
            await closer()

    async def receive(self, kind: str, body: bytes) -> IngestResult:
        """Ingest one webhook body (see AlertIngest.receive)."""
        return await self.ingest.receive(kind, body)

    async def tick(self, now: datetime | None = None) -> None:
        """Run the periodic job: retries, cool-down resolves, snooze ends, reminders."""
        await self.ingest.tick(now)

    async def _act(self, incident_id: int, actor: Actor,
                   fn: Callable[[Incident], list[Change]]) -> Incident:
        async with self.store.locked() as s:
            now = self.clock.now()
            incidents = await self.store.candidates(s, now)
            inc = incidents.get(incident_id) or await repo.load_incident(s, incident_id)
            if inc is None:
                raise NotFound(f"incident #{incident_id} does not exist", hint="see /ops incidents all")
            changes = fn(inc)
            alerts = await self.store.alerts_for(s, inc.firing)
            state = PipelineState(alerts, {inc.id: inc})
            out = Outcome()
            out.note(inc, changes)
            out.decisions.extend(Decision("lifecycle", c.kind, c.kind, None, inc.id, facts=c.facts()) for c in changes)
            await self.pipeline.commit(s, state, out, now, actor.user_id)
            return inc

    async def note(self, incident_id: int, actor: Actor, change: Change) -> Incident:
        """Record another feature's event on an incident (auto-remediation) as facts: its card re-renders."""
        return await self._act(incident_id, actor, lambda inc: [change])

    async def acknowledge(self, incident_id: int, actor: Actor) -> Incident:
        """Acknowledge an open incident."""
        return await self._act(incident_id, actor,
                               lambda inc: lifecycle.acknowledge(inc, actor.name or actor.user_id, self.clock.now()))

    async def resolve(self, incident_id: int, actor: Actor) -> Incident:
        """Resolve an incident by hand."""
        return await self._act(incident_id, actor,
                               lambda inc: lifecycle.resolve(inc, actor.name or actor.user_id, self.clock.now()))

    async def take(self, incident_id: int, actor: Actor) -> Incident:
        """Make the actor the incident commander (and acknowledge an open incident)."""
        return await self._act(incident_id, actor, lambda inc: lifecycle.take(
            inc, actor.user_id, actor.name or actor.user_id, self.clock.now()))

    async def reopen(self, incident_id: int, actor: Actor) -> Incident:
        """Reopen a resolved incident within the configured reopen window."""
        return await self._act(incident_id, actor, lambda inc: lifecycle.reopen(
            inc, actor.name or actor.user_id, self.clock.now(), self.cfg))

    async def add_note(self, incident_id: int, text: str, actor: Actor) -> Incident:
        """Add a person's note to an incident's thread and timeline."""
        return await self._act(incident_id, actor,
                               lambda inc: lifecycle.add_note(inc, text, actor.name or actor.user_id))

    async def snooze(self, incident_id: int, seconds: int, actor: Actor) -> Incident:
        """Mute an incident's thread notifications for one of the offered durations."""
        return await self._act(incident_id, actor, lambda inc: lifecycle.snooze(
            inc, seconds, actor.name or actor.user_id, self.clock.now(), self.cfg))

    async def silence(self, incident_id: int, actor: Actor, hours: float = 2.0) -> list[str]:
        """Silence an incident's Alertmanager alerts (one silence per alert name); return the ids."""
        if self.silences is None:
            raise Unavailable("no Alertmanager is configured", hint="set alerts.alertmanager_url")
        detail = await self.queries.incident(incident_id)
        inc, alerts = detail.incident, detail.alerts
        if not inc.is_open:
            raise Conflict(f"incident #{incident_id} is resolved; nothing to silence")
        am_alerts = [a for a in alerts if a.source == "alertmanager"]
        if not am_alerts:
            raise InvalidInput(f"incident #{incident_id} has no Alertmanager alerts to silence")
        now = self.clock.now()
        who = f"{actor.name or actor.user_id} ({actor.user_id}) via Opsbot"
        made: list[tuple[str, str]] = []
        for matchers in silence_matchers(am_alerts, self.cfg.service_label):
            sid = await self.silences.create_silence(matchers, now, now + timedelta(hours=hours), who,
                                                     f"Opsbot incident #{incident_id}: {inc.title}")
            made.append((sid, ", ".join(f"{m.name}{'=~' if m.is_regex else '='}\"{m.value}\"" for m in matchers)))
        # Say what the silences do not cover: alerts that did not come through Alertmanager.
        others = sorted({f"{a.labels.get('alertname', '?')} ({a.source})" for a in alerts if a.source != "alertmanager"})

        def record(i: Incident) -> list[Change]:
            i.silences.extend(sid for sid, _ in made)
            i.dirty = True
            return [Change("silenced", who=actor.name or actor.user_id, hours=hours,
                           silences=tuple(sid for sid, _ in made), matchers=tuple(what for _, what in made),
                           alerts=tuple(others) or None)]
        await self._act(incident_id, actor, record)
        return [sid for sid, _ in made]

    async def expire_silence(self, incident_id: int, silence_id: str, actor: Actor) -> None:
        """Expire a silence Opsbot created for an incident (`all`: every one it created)."""
        if self.silences is None:
            raise Unavailable("no Alertmanager is configured", hint="set alerts.alertmanager_url")
        inc = (await self.queries.incident(incident_id)).incident
        gone = list(inc.silences) if silence_id == "all" else [silence_id]
        if not gone or not set(gone) <= set(inc.silences):
            raise NotFound(f"silence {silence_id} was not created for incident #{incident_id}")
        for sid in gone:
            await self.silences.expire_silence(sid)

        def record(i: Incident) -> list[Change]:
            i.silences = [x for x in i.silences if x not in gone]
            i.dirty = True
            return [Change("silence_expired", who=actor.name or actor.user_id, silences=tuple(gone))]
        await self._act(incident_id, actor, record)

