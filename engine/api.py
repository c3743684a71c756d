"""The engine's facade: the one object the bot talks to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.clock import Clock
from engine.config import OpsbotConfig
from engine.leases import Leases
from engine.notices import Notice
from engine.outbox import Outbox, emit
from engine.scheduler import Scheduler
from engine.settings import EngineSettings
from engine.store.db import Database


@dataclass
class Engine:
    """Holds the store, the clock, the config, and one service per feature."""

    settings: EngineSettings
    config: OpsbotConfig
    db: Database
    clock: Clock
    replica_id: str
    outbox: Outbox
    leases: Leases
    scheduler: Scheduler
    services: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        # Feature services (engine.alerts, engine.models, ...) are looked up by name so the
        # facade does not import every feature; a missing one is a wiring bug, said plainly.
        services = self.__dict__.get("services", {})
        if name in services:
            return services[name]
        raise AttributeError(f"engine has no service {name!r}; is it wired in engine/wiring.py?")

    async def notify(self, notice: Notice) -> None:
        """Queue a notice on its own (for callers without a state change to pair it with)."""
        async with self.db.session() as s:
            await emit(s, notice, self.clock.now())

    async def close(self) -> None:
        """Stop background work and release the store."""
        await self.scheduler.stop()
        for service in self.services.values():
            closer = getattr(service, "aclose", None)
            if closer is not None:
                await closer()
        await self.db.dispose()
