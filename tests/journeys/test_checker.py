"""The journeys' checker finds what it must and passes what a person may see."""

from __future__ import annotations

import pytest

from tests.journeys.workspace import problems


@pytest.mark.parametrize("text", [
    "Override reason: None", ":zzz: snoozed until 7:35 PM", "Cause: :white_check_mark: db", "Opened <!date^1796581671^{time}|x>",
    "Plan\n```gate", "Hello {{ name }}", "[unsupported block: video]", "at 2026-12-06T18:27:39+00:00",
    "#2 Promote churn champion to v2 (now v1) · production", "joined #5 score 0.99 (topology 1 hop 0.95, same node/host 0.97)",
])
def test_the_checker_flags_raw_internals(text):
    assert problems(text), text


@pytest.mark.parametrize("text", [
    "💤 snoozed until 7:35 PM · opened 6:35 PM", "None of the gates failed", "GET http://127.0.0.1:42689/healthz",
    "Alerts 41 firing of 41", "/ops why anomaly:checkout-latency:51654aa1d7f39ac4b1677397e8e3aa38", "requested 2026-12-06 18:27 UTC", "Promote churn champion to v2 (from v1)",
    "joined #5 score 0.99 (last onset 0s ago, 1 hop away in depends_on 46s ago, same node/host 27s ago)",
])
def test_the_checker_passes_what_people_may_see(text):
    assert problems(text) == [], text


def test_the_checker_flags_a_changing_status_only_in_messages_never_updated():
    said = "Promote churn champion to v5\n⌛ Waiting for approval by ml: request #5's card in the channel follows it."
    assert problems(said, ephemeral=True)
    assert problems(said) == []  # a card is re-rendered as its state changes
    assert problems("📤 Sent for approval to role ml as request #5: its card in the channel shows where it stands.",
                    ephemeral=True) == []
