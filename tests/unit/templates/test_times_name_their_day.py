"""A time hours or days away names its day: "until 9:00 AM" read at 9:11 AM is tomorrow's, not a past one."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.render import render

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "templates" / "alerts"


def test_an_on_call_shift_end_names_its_day():
    message = render("alerts/oncall", json.loads((FIXTURES / "oncall.json").read_text()))
    text = message["blocks"][1]["text"]["text"]
    ends = re.findall(r"until <!date\^\d+\^([^|]*)\|", text)
    assert len(ends) == 2 and all("{date" in fmt for fmt in ends), text


def test_a_corrections_week_is_a_date_not_a_midnight_time():
    message = render("alerts/stats", json.loads((FIXTURES / "stats.corrections.json").read_text()))
    text = json.dumps(message["blocks"])
    weeks = re.findall(r"week from <!date\^\d+\^([^|]*)\|", text)
    assert weeks and all(fmt == "{date_short}" for fmt in weeks), text
