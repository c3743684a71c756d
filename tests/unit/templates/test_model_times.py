"""`/ops model` and `/ops history` show alias changes' times as Slack date tokens, not ISO strings."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.render import render

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "templates" / "models"


@pytest.mark.parametrize("template", ["history", "model"])
def test_alias_change_times_are_date_tokens(template):
    ctx = json.loads((FIXTURES / f"{template}.json").read_text())
    assert ctx["changes"], "the fixture needs a change to show"
    text = json.dumps(render(f"models/{template}", ctx)["blocks"])
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text), text
    assert "<!date^" in text, text
