"""Render incident changes as people read them (templates/slack/alerts/_changes.j2), for assertions."""

from __future__ import annotations

from typing import Any

from bot.render import environment
from engine.alerts.card import stored_facts
from engine.alerts.lifecycle import Change


def _macros() -> Any:
    return environment().get_template("slack/alerts/_changes.j2").module


def said(change: Change | dict[str, Any]) -> str:
    """Return one change (a Change or its stored facts) in the template's words."""
    facts = change.facts() if isinstance(change, Change) else change
    return str(_macros().change(stored_facts(facts)))


def said_all(changes: list[Change]) -> list[str]:
    """Return each change in the template's words, in order."""
    return [said(c) for c in changes]


def decision_said(decision: dict[str, Any]) -> str:
    """Return a stored decision (as `/ops why` gets it) in the template's words."""
    return str(_macros().decision(decision))
