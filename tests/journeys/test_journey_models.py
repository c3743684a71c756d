"""A model promotion through gates, a second person's approval and a rollback, in `opsbot demo` in a real
browser; after every step the checker reads every visible message (see conftest)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect


pytestmark = pytest.mark.slow


def _champion(model_answer: str) -> str:
    """The version `/ops model churn` says holds `champion`."""
    found = re.search(r"champion\s*→\s*v(\d+)", model_answer)
    assert found, model_answer
    return found.group(1)


def test_promote_with_gates_second_user_approves_then_rollback(person, shots):
    p = person
    p.open("ml-models")
    p.check("open #ml-models")
    before = _champion(p.send("/ops model churn").inner_text())
    p.check("/ops model churn")
    notice = p.card("New version: churn v5", "models_promote_champion")
    expect(notice.get_by_test_id("button-models_promote_champion")).to_be_visible()

    p.press(notice, "models_promote_champion")
    p.check("alice clicks Promote to champion")
    request = p.page.locator("#messages [data-testid=message]").filter(
        has_text=f"Promote churn champion to v5 (from v{before})").filter(
        has=p.page.get_by_test_id("button-approval_approve")).last
    request = p.message_at(request.get_attribute("data-ts"))  # the card keeps its ts, not its buttons
    expect(request).to_contain_text("Requested")
    assert _champion(p.send("/ops model churn").inner_text()) == before  # nothing moves before approval

    p.be("bob")
    p.press(request, "approval_approve")
    expect(request).to_contain_text("Succeeded")
    expect(request).to_contain_text(f"moved churn champion from v{before} to v5")
    expect(request.get_by_test_id("button-approval_approve")).to_have_count(0)
    p.check("bob approves")
    p.be("alice")  # her gate answer is never updated: it must not still read as waiting
    p.check("alice reads her gate answer after the approval")
    p.be("bob")
    text = request.inner_text()
    assert "Plan (dry run)" not in text and "override_reason" not in text and "requester_name" not in text, text

    model = p.send("/ops model churn").inner_text()
    assert _champion(model) == "5", model
    p.check("/ops model churn after approval")
    # The version card is a view of the registry: v5 is champion, so it offers that no more.
    expect(notice).to_contain_text("now champion")
    expect(notice.get_by_test_id("button-models_promote_champion")).to_have_count(0)
    history = p.send("/ops history churn").inner_text()
    newest = next(line for line in history.splitlines() if "→" in line)
    assert f"v{before} → v5" in newest and "alice" in newest and "approved by bob" in newest, history
    p.check("/ops history churn")

    rolled = p.send("/ops rollback churn").inner_text()
    p.check("bob rolls back")
    assert "error" not in rolled.lower(), rolled
    # The request's card carries the plan (it may land after bob's own answer); the plan reads as a
    # plan: no backticks turned into quotes inside its code block ('champion').
    plan = p.page.locator("#messages [data-testid=message]").filter(has_text=f"champion: v5 → v{before}").last
    expect(plan).to_be_visible(timeout=15000)
    assert "'champion'" not in plan.inner_text(), plan.inner_text()
    p.settle(2)
    model = p.send("/ops model churn").inner_text()
    assert _champion(model) == before, (rolled, model)
    history = p.send("/ops history churn").inner_text()
    newest = next(line for line in history.splitlines() if "→" in line)
    assert f"v5 → v{before}" in newest, history
    # The request that made v5 champion is past: its card says what replaced v5, and by whom.
    expect(request).to_contain_text(f"Since then champion moved to v{before} (rollback by bob")
    # v5 is no longer champion: its card says so by offering the promotion again.
    expect(notice.get_by_test_id("button-models_promote_champion")).to_be_visible()
    expect(notice).not_to_contain_text("now champion")
    p.check("/ops model and history after rollback")
    # The drift card's serving line runs in order and ends with the version serving now (v5 -> v{before}
    # must not read as if v5 still served).
    drift = p.send("/ops drift churn").inner_text()
    served = re.search(r"Served in this window:\s*champion\s+(.+)", drift)
    assert served and served.group(1).strip().endswith(f"v{before}"), drift
    p.check("/ops drift churn after the rollback")
    p.shot(shots, "promote-approve-rollback")
