"""Channels are linked when they are Slack ids and named otherwise, never as a broken `<#name>`."""

from __future__ import annotations

import json
from pathlib import Path

from bot.render import channel_link, render

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "templates"


def test_a_channel_id_is_a_link():
    assert channel_link("C0OPS123") == "<#C0OPS123>"
    assert channel_link("G01PRIVATE") == "<#G01PRIVATE>"
    assert channel_link("C0OPS") == "<#C0OPS>"  # the local workspace's short ids


def test_a_configured_channel_name_is_text_not_a_broken_link():
    assert channel_link("ops") == "#ops"
    assert channel_link("#ml-models") == "#ml-models"
    # A name is data, never markup.
    assert channel_link("<!channel>") == "#&lt;!channel&gt;"


def test_an_approval_ephemeral_names_a_channel_configured_by_name():
    context = json.loads((FIXTURES / "runbooks" / "preview.json").read_text())
    context["channel"] = "ops"
    text = json.dumps(render("runbooks/preview", context))
    assert "its card in #ops shows where it stands" in text
    assert "<#ops>" not in text
