"""Actors are mentioned when they are Slack users and named otherwise, never as a broken `<@…>`."""

from __future__ import annotations

import json
from pathlib import Path

from bot.render import person, render

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "templates"


def test_a_slack_user_id_is_a_mention():
    assert person("U0ALICE") == "<@U0ALICE>"
    assert person("W0GRID1") == "<@W0GRID1>"


def test_an_actor_that_is_not_a_slack_user_is_shown_by_name_and_escaped():
    assert person("opsbot-auto", "Opsbot's restart-worker/worker-stuck trigger") == \
        "Opsbot's restart-worker/worker-stuck trigger"
    assert person("cli:ann") == "cli:ann"
    # A name is data, never markup: it cannot ping a channel or forge a mention.
    assert person("x", "<!channel> <@U0BOSS>") == "&lt;!channel&gt; &lt;@U0BOSS&gt;"
    assert person("") == "someone"


def test_an_automatic_run_card_names_its_trigger_instead_of_a_broken_mention():
    context = json.loads((FIXTURES / "approvals" / "request.automatic.json").read_text())
    text = json.dumps(render("approvals/request", context))
    assert "Requested by Opsbot's restart-worker/worker-stuck trigger at" in text
    assert "<@opsbot-auto>" not in text


def test_audit_lines_mention_people_and_name_everything_else():
    events = [{"seq": 1, "at": "2026-12-07T12:00:00+00:00", "actor": "U0ALICE", "action": "promote",
               "subject": "churn"},
              {"seq": 2, "at": "2026-12-07T12:01:00+00:00", "actor": "opsbot-auto", "action": "run",
               "subject": "restart-worker"}]
    context = json.loads((FIXTURES / "admin" / "audit.json").read_text())
    context["events"] = events
    text = json.dumps(render("admin/audit", context))
    assert "<@U0ALICE>" in text and "opsbot-auto" in text and "<@opsbot-auto>" not in text
