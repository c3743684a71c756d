"""Outbox sending classes: new cards, then card edits, then thread replies."""

from __future__ import annotations

from engine.core.outbox import FIRST_POST, MAIN_EDIT, THREAD, send_class


def test_classes_rank_cards_before_their_threads():
    assert send_class(in_thread=False, posted=False) == FIRST_POST
    assert send_class(in_thread=False, posted=True) == MAIN_EDIT
    assert send_class(in_thread=True, posted=False) == send_class(in_thread=True, posted=True) == THREAD
    assert FIRST_POST < MAIN_EDIT < THREAD
