"""A Slack rate-limit window during a 50-incident storm: after recovery every card is current
before any thread reply leaves, nothing is sent twice, and each message's changes keep their order."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.integration.once.storm import CARD, REPLY, kind, run_storm, start_storm_stack

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

INCIDENTS, REPLIES = 50, 2


async def test_cards_are_current_before_any_thread_reply_after_a_429_window(pg_url):
    # SQLite runs the same outbox queries in tests/scenario/test_outbox.py; this storm runs on
    # PostgreSQL, where replicas share the outbox. 20 posts/s instead of Slack's 1: the order is the property, and it does not depend on pace.
    stack = await start_storm_stack(pg_url, rate=20.0)
    try:
        result = await run_storm(stack, incidents=INCIDENTS, replies=REPLIES, window_s=3.0, posted_before=10)
    finally:
        await stack.stop()
    after = result.after()
    kinds = [kind(w) for w in after]
    assert "reply" in kinds, result.order
    first_reply = kinds.index("reply")
    assert set(kinds[first_reply:]) == {"reply"}, f"a card write came after a thread reply: {result.order}"

    # Every card was posted once and ends at its newest state before the first reply.
    posts = [w for w in result.writes if kind(w) == "post"]
    assert sorted(int(CARD.match(w["text"]).group(1)) for w in posts) == list(range(INCIDENTS))
    card_of_ts = {w["ts"]: int(CARD.match(w["text"]).group(1)) for w in posts}
    shown: dict[int, int] = {}
    for w in result.writes[:len(result.writes) - len(after) + first_reply]:
        if kind(w) != "reply":
            i, v = map(int, CARD.match(w["text"]).groups())
            assert v >= shown.get(i, -1), f"card {i} went back from v{shown[i]} to v{v}"
            shown[card_of_ts[w["ts"]]] = v
    assert shown == {i: REPLIES for i in range(INCIDENTS)}
    # Edits queued during the window were folded: at most one edit per card after recovery.
    assert max(Counter(w["ts"] for w in after if kind(w) == "edit").values()) == 1

    # Each reply once, in its own thread, and in order within the thread.
    replies = [w for w in after if kind(w) == "reply"]
    seen = [tuple(map(int, REPLY.match(w["text"]).groups())) for w in replies]
    assert sorted(seen) == [(i, s) for i in range(INCIDENTS) for s in range(1, REPLIES + 1)]
    for w, (i, _) in zip(replies, seen):
        assert card_of_ts[w["thread_ts"]] == i
    for i in range(INCIDENTS):
        assert [s for j, s in seen if j == i] == list(range(1, REPLIES + 1))
    assert result.cards_current_s < result.first_reply_s <= result.drained_s
