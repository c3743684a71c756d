"""The global kill switch: `/ops auto pause|resume`, role-gated and audited, read between run steps."""

from __future__ import annotations

from engine.actor import Actor
from engine.approvals.types import RunContext
from engine.audit import AuditLog
from engine.auto.tables import AutoSwitch
from engine.core.clock import Clock
from engine.auto.messages import AutoEvent
from engine.core.notices import Notice
from engine.core.outbox import emit
from engine.errors import Conflict
from engine.policy import Policy
from engine.store.db import Database

AUTO_ACTOR_ID = "opsbot-auto"  # the requester of every automatic run
PAUSE_ACTION = "auto:pause"  # the policy action both pause and resume need


def auto_actor(trigger: str) -> Actor:
    """Return the actor an automatic run is requested and audited as."""
    return Actor(AUTO_ACTOR_ID, f"Opsbot's {trigger} trigger")  # reads "resolved by Opsbot's ... trigger"


class KillSwitch:
    """One row read by every replica: while paused no automatic run starts or takes its next step."""

    def __init__(self, db: Database, audit: AuditLog, clock: Clock, policy: Policy, env: str, channel: str) -> None:
        self.db, self.audit, self.clock, self.policy = db, audit, clock, policy
        self.env, self.channel = env, channel

    async def state(self) -> AutoSwitch | None:
        """Return the switch row when it was ever set (None means running)."""
        async with self.db.session() as s:
            row = await s.get(AutoSwitch, 1)
            if row is not None:
                s.expunge(row)
            return row

    async def paused(self) -> bool:
        """Return True while automatic runs are paused."""
        row = await self.state()
        return bool(row and row.paused)

    async def halt(self, ctx: RunContext) -> str | None:
        """Return why an automatic run must stop before its next step (the runbook executor's halt check)."""
        if ctx.requester != AUTO_ACTOR_ID:
            return None  # people's runs are not the switch's business
        row = await self.state()
        return f"auto-remediation paused by {row.by}" if row and row.paused else None

    async def set(self, actor: Actor, paused: bool, reason: str = "") -> AutoSwitch:
        """Pause or resume every automatic run (needs policy action auto:pause); audited and announced."""
        decision = await self.policy.decide(actor, PAUSE_ACTION, self.env)
        if decision.effect != "allow":
            decision.require()  # deny raises naming the role
            raise Conflict("pausing automation must take effect at once; policy says it needs approval",
                           hint=f"give the role `allow` for {PAUSE_ACTION}")
        now = self.clock.now()
        who = actor.name or actor.user_id
        async with self.db.session() as s:
            row = await s.get(AutoSwitch, 1, with_for_update=True)
            if row is None:
                row = AutoSwitch(id=1, updated_at=now)
                s.add(row)
            row.paused, row.by, row.reason, row.updated_at = paused, who, reason[:500], now
            await s.flush()
            verb = "paused" if paused else "resumed"
            event = AutoEvent(kind="switch", event=verb, by=who, reason=reason)
            await emit(s, Notice.of(event, key=f"auto:switch:{now.timestamp():.0f}:{verb}", channel=self.channel), now)
            await self.audit.append(s, actor=actor, action=f"auto.{verb}", subject="auto:switch",
                                    data={"reason": reason})
            s.expunge(row)
        return row
