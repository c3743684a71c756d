"""The postmortem facade: a draft for an incident, as Markdown."""

from __future__ import annotations

from typing import Sequence

from engine.core.clock import Clock
from engine.postmortem.collect import EntrySource, collect
from engine.postmortem.draft import build_draft
from engine.store.db import Database


class Postmortems:
    """Writes drafts from the store; nothing is changed."""

    def __init__(self, db: Database, clock: Clock, sources: Sequence[EntrySource] = ()) -> None:
        self.db, self.clock, self.sources = db, clock, tuple(sources)

    async def draft(self, incident_id: int) -> str:
        """Return the Markdown draft of one incident's postmortem."""
        now = self.clock.now()
        async with self.db.session() as s:
            facts = await collect(s, incident_id, now, self.sources)
        return build_draft(facts, now)
