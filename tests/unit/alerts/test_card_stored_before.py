"""Incident cards stored in the outbox before the card was typed still render, and read back typed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import engine.warroom.service  # noqa: F401  (registers the Postmortem and channel buttons)
from bot.render import render
from engine.alerts.card import IncidentCard

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "templates" / "alerts"
# Fields a card stored before they existed does not have (the template and the model default them).
LATER = ("flapping", "recurrence_of", "recurrence_nth", "silence_applies", "sources", "lead", "more_alerts", "links", "owner",
         "commander", "commander_name", "likely_cause", "auto_status", "merged_into", "incident_channel",
         "in_incident_channel", "origin_channel", "pin")


def _as_stored_before(card: dict) -> dict:
    old = {k: v for k, v in card.items() if k not in LATER or v}
    old["suggested_runbooks"] = [r["name"] for r in card["suggested_runbooks"]]
    old["resolved_actions"] = [{"text": "Postmortem", "action_id": b["action_id"], "value": b["value"]}
                               for b in card["resolved_actions"]]
    return old


@pytest.mark.parametrize("name", ["incident.auto_failed", "incident.resolved_postmortem", "incident.likely_cause"])
def test_a_card_stored_before_renders_as_its_typed_card(name):
    card = json.loads((FIXTURES / f"{name}.json").read_text())
    old = _as_stored_before(card)
    assert old != card
    assert render("alerts/incident", old) == render("alerts/incident", card)
    assert IncidentCard.model_validate(old).as_context() == card
