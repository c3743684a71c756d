"""A version card is a view of the aliases as they stand, not of its previous render."""

from __future__ import annotations

from engine.models.cards import card_context
from engine.models.messages import PROMOTE_CHAMPION, new_version_notice
from engine.models.types import ModelVersion


def _offered(ctx: dict) -> set[str]:
    return {b["action_id"] for b in ctx["buttons"]}


def test_promote_to_champion_comes_back_after_the_version_is_rolled_back():
    first = new_version_notice("#ml", ModelVersion("churn", 5, run_id="r5"), [], champion=2).context
    promoted = card_context(first, {"champion": 5})
    assert PROMOTE_CHAMPION not in _offered(promoted) and promoted["holds"] == ["champion"]
    # The next render starts from the stored (already filtered) context, as the outbox does.
    rolled_back = card_context(promoted, {"champion": 2})
    assert PROMOTE_CHAMPION in _offered(rolled_back), rolled_back["buttons"]
    assert rolled_back["holds"] == []
