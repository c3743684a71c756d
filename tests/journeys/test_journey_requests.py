"""Runbook requests and bad input through `opsbot demo` in a real browser: a dry run, a request another
person approves, and input refused with a reason that starts nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect


pytestmark = pytest.mark.slow


def test_runbook_dry_run_request_and_approval_by_another(person, shots):
    p = person
    p.open("ops")
    dry = p.send("/ops run restart-service service=checkout --dry-run")
    expect(dry).to_contain_text("Dry run")
    p.check("alice dry-runs restart-service")
    p.press(dry, "runbook.open")
    modal = p.page.get_by_test_id("modal")
    expect(modal).to_be_visible()
    p.check("the run modal opens")
    service = modal.locator("input, textarea").first
    if service.count() and not service.input_value():
        service.fill("checkout")
    p.page.get_by_test_id("modal-submit").click()
    expect(modal).to_be_hidden()
    p.settle()
    p.check("alice requests the run")
    request = p.page.locator("#messages [data-testid=message]").filter(has_text="runbook restart-service").filter(
        has=p.page.get_by_test_id("button-approval_approve")).last
    request = p.message_at(request.get_attribute("data-ts"))
    expect(request).to_contain_text("Requested")

    p.be("bob")
    p.press(request, "approval_approve")
    expect(request).to_contain_text("Succeeded", timeout=30000)
    expect(request.get_by_test_id("button-approval_approve")).to_have_count(0)
    text = request.inner_text()
    assert "Plan (dry run)" not in text and "override_reason" not in text, text
    p.check("bob approves; the run finishes")
    p.shot(shots, "runbook-request-approve")


BAD_INPUTS = [
    # (what a person types, what the answer must say) - each refused with a reason, nothing started
    ("/ops promote churn 5 to champoin", "champion"),
    ("/ops promote churn 99 to champion", "no version 99"),
    ("/ops run restart-service service=checkout colour=blue", "colour"),
    ("/ops run no-such-runbook", "no-such-runbook"),
    ("/ops run restart-service service=checkout env=staging", "runs in production"),
    ("/ops incident 98765", "98765"),
    ("/ops drift no-such-model", "no-such-model"),
    ("/ops frobnicate", "help"),
    ("/ops incident 1 2", "left over: '2'"),  # an extra word is named, not dropped
    ("/ops promote churn", "which version of churn"),
]


def test_bad_input_is_refused_with_a_reason_and_starts_nothing(person, shots):
    p = person
    p.open("ops")
    before = p.page.locator("#messages [data-testid=message]").filter(
        has=p.page.get_by_test_id("button-approval_approve")).count()
    for typed, named in BAD_INPUTS:
        answer = p.send(typed)
        text = answer.inner_text()
        assert named in text, (typed, text)
        assert answer.get_by_test_id("button-approval_approve").count() == 0, (typed, text)
        p.check(f"alice types {typed!r}")
    # The example: naming the runbook's own environment is no error.
    named = p.send("/ops run restart-service service=api env=production --dry-run").inner_text()
    assert "Dry run" in named and "unknown parameter" not in named, named
    p.check("a dry run naming its environment")
    for listing in ("/ops models", "/ops audit 5"):  # times read as dates, never ISO strings
        p.send(listing)
        p.check(listing)
    topic = p.send("/ops help incidents").inner_text()
    assert "/ops incidents" in topic and "/ops promote" not in topic, topic  # the topic, not the whole list
    p.check("/ops help incidents")
    p.press(p.card("Opsbot commands · Incidents", "help.open_family.all"), "help.open_family.all")
    expect(p.card("Opsbot commands")).to_contain_text("/ops promote")  # back to every command
    p.check("All commands after a topic")
    p.settle(1.5)
    after = p.page.locator("#messages [data-testid=message]").filter(
        has=p.page.get_by_test_id("button-approval_approve")).count()
    assert after == before, "a refused command opened an approval"
    p.shot(shots, "bad-input")
