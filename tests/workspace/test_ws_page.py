"""The workspace page in headless Chromium against a real Bolt app."""

from __future__ import annotations

import pytest


@pytest.fixture
def page(browser_page):
    """The shared headless Chromium page (tests/conftest.py)."""
    return browser_page


async def test_help_then_button_changes_message(workspace, bot, page):
    await page.goto(f"{workspace.url}/?user=alice&channel=ops")
    await page.fill("[data-testid=composer]", "/ops help")
    await page.keyboard.press("Enter")
    eph = page.locator(".message.ephemeral")
    await eph.get_by_text("Opsbot help", exact=True).wait_for()
    assert await eph.locator("[data-testid=ephemeral-mark]").is_visible()
    await eph.locator("[data-testid='button-help.more']").click()
    await eph.get_by_text("all done").wait_for()
    assert await eph.locator("b", has_text="all done").count() == 1  # mrkdwn *bold*
    assert workspace.last_ephemeral("alice")["text"] == "Opsbot help (page 2)"


async def test_second_person_approves_with_confirm_dialog(workspace, bot, page):
    await page.goto(f"{workspace.url}/?user=alice&channel=ops")
    await page.fill("[data-testid=composer]", "/ops announce")
    await page.keyboard.press("Enter")
    approve = page.locator("[data-testid='button-approval.approve']")
    await approve.wait_for()
    await page.select_option("[data-testid=user-picker]", "U0BOB")
    await approve.click()
    dialog = page.locator("[data-testid=confirm-dialog]")
    await dialog.get_by_text("Promote").wait_for()
    await page.click("[data-testid=confirm-yes]")
    await page.locator("[data-testid=message-content]", has_text="Approved by @bob").wait_for()
    assert await approve.count() == 0
    assert workspace.messages("ops")[0]["text"] == "Approved by <@U0BOB>"


async def test_modal_shows_field_errors_then_closes(workspace, bot, page):
    await page.goto(f"{workspace.url}/?user=carol&channel=ops")
    await page.fill("[data-testid=composer]", "/ops form")
    await page.keyboard.press("Enter")
    await page.locator("[data-testid=modal-title]", has_text="Run runbook").wait_for()
    await page.click("[data-testid=modal-submit]")  # empty required fields stay client-side
    assert await page.locator(".field-error").count() == 2
    await page.fill("[data-testid=input-namespace]", "nope")
    await page.select_option("[data-testid=select-pick]", "prod")
    await page.click("[data-testid=modal-submit]")
    await page.get_by_text("Unknown namespace nope").wait_for()
    await page.fill("[data-testid=input-namespace]", "payments")
    await page.click("[data-testid=modal-submit]")
    await page.locator("#modal-overlay").wait_for(state="hidden")
    await page.get_by_text("Requested restart in prod").wait_for()


async def test_mrkdwn_emoji_and_dates_render_as_slack_renders_them(workspace, page):
    """Shortcodes from Slack's own set, _italic_ and `<!date^…>` tokens never show as raw text."""
    ws = workspace.workspace
    text = (":thinking_face: :zzz: :mute: :large_green_circle: _snoozed_ until "
            "<!date^1767268800^{date_num}|2026-01-01 12:00 UTC> :not_an_emoji:")
    ws.post(ws.require_channel("C0OPS"), ws.bot_message(text, [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}}]))
    await page.goto(f"{workspace.url}/?user=alice&channel=ops")
    content = page.locator("[data-testid=message-content]").last
    await content.get_by_text("snoozed").wait_for()
    html = await content.inner_html()
    for glyph in ("🤔", "💤", "🔇", "🟢"):
        assert glyph in html, html
    assert "<i>snoozed</i>" in html and ":not_an_emoji:" in html
    assert "2026-01-01" in html or "2025-12-31" in html  # the reader's own zone
    assert "!date" not in html and ":zzz:" not in html


async def test_a_modal_does_not_survive_a_reload(workspace, bot, page):
    await page.goto(f"{workspace.url}/?user=carol&channel=ops")
    await page.fill("[data-testid=composer]", "/ops form")
    await page.keyboard.press("Enter")
    await page.locator("[data-testid=modal-title]", has_text="Run runbook").wait_for()
    await page.reload()
    await page.locator("[data-testid=composer]").wait_for()
    await page.wait_for_timeout(500)  # a few polls of /ui/state
    assert await page.locator("#modal-overlay").is_hidden()
    assert workspace.open_view("U0CAROL") is None
