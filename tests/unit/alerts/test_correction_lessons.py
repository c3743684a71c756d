"""What corrections teach (pair counts, keys, replay) and the forms that collect them."""

from __future__ import annotations

import json

from bot.render import render
from bot.workspace.blocks import validate_view
from engine.alerts.corrections import MERGE, SPLIT, Lesson, PairCounts, alert_key, replay_corrections, side


def test_pair_counts_lean_apart_after_a_split_and_together_after_a_merge():
    fb = PairCounts()
    fb.observe(["DiskFull@logs"], ["HighLatency@checkout", "DiskFull@logs"], together=False)
    assert fb.lean("HighLatency@checkout", "DiskFull@logs") == -1
    assert fb.lean("DiskFull@logs", "DiskFull@logs") == 0  # a key is never paired with itself
    fb.observe(["HighLatency@checkout"], ["DiskFull@logs"], together=True, weight=3)
    assert fb.lean("DiskFull@logs", "HighLatency@checkout") == 2 and fb.observed == 2


def test_alert_key_names_the_alert_on_its_service_and_sides_are_bounded():
    assert alert_key({"alertname": "A", "service": "x", "instance": "i"}) == "A@x"
    assert alert_key({"alertname": "A", "svc": "x"}, "svc") == "A@x"
    assert alert_key({"alertname": "A"}) == "A"
    assert side(f"k{i}" for i in range(500)) == sorted(f"k{i}" for i in range(500))[:200]


async def test_replay_feeds_every_stored_lesson_in_order():
    class Stored:
        async def lessons(self):
            yield Lesson(SPLIT, ("a",), ("b",))
            yield Lesson(MERGE, ("a",), ("b",))
            yield Lesson(MERGE, ("a",), ("c",))

    fb = PairCounts()
    assert await replay_corrections(Stored(), fb) == 3
    assert fb.lean("a", "b") == 0 and fb.lean("a", "c") == 1


def _view(template: str, ctx: dict) -> dict:
    msg = render(template, ctx)
    view = {"type": "modal", "callback_id": "x", "title": {"type": "plain_text", "text": msg["title"]},
            "close": {"type": "plain_text", "text": msg["close"]}, "blocks": msg["blocks"]}
    if msg.get("submit"):
        view["submit"] = {"type": "plain_text", "text": msg["submit"]}
    assert validate_view(view) == [], json.dumps(view)[:500]
    return view


def test_split_form_uses_checkboxes_up_to_ten_then_a_multi_select():
    inc = {"id": 123456789, "title": "T" * 400}
    for n, kind in ((1, "checkboxes"), (10, "checkboxes"), (11, "multi_static_select"), (100, "multi_static_select")):
        choices = [{"value": f"a:{'f' * 120}{i}", "text": "HighLatency@checkout " + "x=y " * 40, "firing": True}
                   for i in range(n)]
        view = _view("alerts/split_modal", {"incident": inc, "choices": choices, "grouped": False, "more": 0})
        el = view["blocks"][1]["element"]
        assert el["type"] == kind and len(el["options"]) == n
        assert all(len(o["text"]["text"]) <= 75 for o in el["options"])


def test_merge_form_without_targets_has_nothing_to_submit():
    inc = {"id": 4, "title": "T"}
    assert "submit" not in _view("alerts/merge_modal", {"incident": inc, "targets": []})
    view = _view("alerts/merge_modal", {"incident": inc, "targets": [{"id": 5, "title": "U" * 300}]})
    assert view["blocks"][1]["element"]["options"][0]["value"] == "5"
