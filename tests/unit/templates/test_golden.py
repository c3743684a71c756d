"""Every template renders its fixture context into a message Slack would accept."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.render import TEMPLATES_DIR, render
from bot.workspace.blocks import validate_blocks
from tests.unit.templates.mrkdwn_texts import mrkdwn_texts

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "templates"
TEMPLATES = sorted(p.relative_to(TEMPLATES_DIR / "slack").as_posix()[: -len(".json.j2")]
                   for p in (TEMPLATES_DIR / "slack").rglob("*.json.j2"))


def _fixtures(template: str) -> list[Path]:
    """A template's fixtures: `<name>.json` and any `<name>.<case>.json`."""
    folder = FIXTURES / Path(template).parent
    stem = Path(template).name
    found = [*folder.glob(f"{stem}.json"), *folder.glob(f"{stem}.*.json")]
    return sorted(p for p in found if not p.name.endswith(".golden.json"))


# Slack reads `<...>` in mrkdwn as a control sequence (mention, channel, date, link); any other
# `<word>` is not shown as typed, so a literal angle bracket must be written `&lt;` / `&gt;`.
_ANGLED = re.compile(r"<([^<>]*)>")
_CONTROL = re.compile(r"[@#!]|(https?|mailto|slack):")


def _stray_angle_brackets(message: dict) -> list[str]:
    """Return the `<...>` of a message's mrkdwn (its text and mrkdwn objects) that are not control sequences."""
    return [m[0] for t in mrkdwn_texts(message) for m in _ANGLED.finditer(t) if not _CONTROL.match(m[1])]


@pytest.mark.parametrize("template", TEMPLATES)
def test_template_has_a_fixture_and_renders_within_slack_limits(template):
    fixtures = _fixtures(template)
    assert fixtures, f"templates/slack/{template}.json.j2 has no fixture in tests/fixtures/templates/"
    for fixture in fixtures:
        message = render(template, json.loads(fixture.read_text()))
        assert isinstance(message["text"], str) and message["text"].strip(), f"{fixture.name}: empty text"
        assert len(message["text"]) <= 4000
        blocks = message.get("blocks", [])
        problems = validate_blocks(blocks)
        assert not problems, f"{fixture.name}: {problems}"
        stray = _stray_angle_brackets(message)
        assert not stray, f"{fixture.name}: write {stray} as &lt;...&gt;: Slack would not show them as typed"
        golden = fixture.with_suffix(".golden.json")
        if golden.exists():
            assert message == json.loads(golden.read_text()), f"{fixture.name}: differs from {golden.name}"
