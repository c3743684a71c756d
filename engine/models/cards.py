"""A version's card is a view of the registry: re-rendered whenever an alias of its model moves.

The card announcing a new version offers "Promote to challenger/champion"; once the version
holds an alias, offering to promote it there again, or naming an old champion, is stale.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.models.messages import NewVersion, parse_button_value, promote_buttons
from engine.models.tables import SeenAlias
from engine.core.outbox_tables import OutboxItem


def version_card_key(model: str, version: int) -> str:
    """Return the outbox key of a version's card."""
    return f"model:{model}:v{version}"


def card_context(ctx: dict[str, Any], aliases: dict[str, int]) -> dict[str, Any]:
    """Return a version card's stored context as the aliases stand now: what it holds, what is left to offer."""
    # The buttons and holds are recomputed below; the rest is read back as the typed card it was
    # stored from (a card stored before buttons lost their labels reads back the same way).
    card = NewVersion.model_validate({k: v for k, v in ctx.items() if k not in ("buttons", "holds")}
                                     | {"buttons": []})
    holds = sorted(a for a, v in aliases.items() if v == card.version)
    # From the full set, not the last render's: a button dropped while the version held an alias
    # must come back once the alias moves away (a rollback).
    buttons = [b for b in promote_buttons(card.model, card.version) if parse_button_value(b.value)[2] not in holds]
    # champion_version stays what it was at registration: the card's metric rows compare against
    # that version, and the card says so; the aliases it holds now are the live part.
    return card.model_copy(update={"holds": holds, "buttons": buttons}).as_context()


async def refresh_version_cards(s: AsyncSession, model: str, versions: set[int | None], now: datetime) -> None:
    """Re-render the cards of these versions of a model from the aliases as recorded in this session."""
    wanted = {version_card_key(model, v): v for v in versions if v is not None}
    if not wanted:
        return
    await s.flush()  # the caller's alias write must be visible to the read below
    aliases = {r.alias: r.version for r in (await s.exec(select(SeenAlias).where(SeenAlias.model == model))).all()}
    rows = (await s.exec(select(OutboxItem).where(col(OutboxItem.key).in_(list(wanted)),
                                                  OutboxItem.template == "models/new_version")
                         .order_by(col(OutboxItem.id).desc()))).all()
    newest: dict[str, OutboxItem] = {}
    for row in rows:
        newest.setdefault(row.key, row)
    for key, row in newest.items():
        s.add(OutboxItem(key=key, channel=row.channel, template=row.template, thread_key=row.thread_key,
                         context=card_context(row.context, aliases), created_at=now, due_at=now))
