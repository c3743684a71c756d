"""Cutting text to Slack's limits never leaves half an entity or half a control sequence."""

from __future__ import annotations

from bot.render import truncate


def test_short_text_is_kept_and_long_text_is_marked():
    assert truncate("db-1", 10) == "db-1"
    assert truncate("abcdefghij", 5) == "abcd…"


def test_a_cut_never_splits_an_escaped_character():
    assert truncate("db-1 &amp; db-2", 8) == "db-1 …"  # not "db-1 &a…", which Slack shows as typed
    assert truncate("a &lt;b&gt;", 9) == "a &lt;b…"  # a whole entity before the cut stays


def test_a_cut_never_splits_a_mention_or_link():
    assert truncate("owner <@U0ALICE> and more", 12) == "owner …"
    assert truncate("see <https://grafana.example/d/abc|dashboard> now", 30) == "see …"
    assert truncate("<@U0ALICE> and <@U0BOB>", 16) == "<@U0ALICE> and …"
