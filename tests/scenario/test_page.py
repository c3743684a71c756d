"""The real bot driven through the workspace page in headless Chromium."""

from __future__ import annotations


async def test_help_in_the_page_then_a_button_changes_the_message(stack, browser_page):
    page = browser_page
    await page.goto(f"{stack.workspace.url}/?user=alice&channel=ops")
    await page.fill("[data-testid=composer]", "/ops help")
    await page.keyboard.press("Enter")
    answer = page.locator(".message.ephemeral").last
    await answer.get_by_text("Opsbot commands").first.wait_for()
    assert await answer.locator("[data-testid=ephemeral-mark]").is_visible()
    await answer.get_by_text("/ops help [topic or command]").first.wait_for()
    before = stack.workspace.last_ephemeral("alice")["blocks"]
    await answer.locator("[data-testid='button-help.open_family.core']").click()
    await page.locator(".message.ephemeral").last.get_by_text("Opsbot commands · General").wait_for()
    after = stack.workspace.last_ephemeral("alice")["blocks"]
    assert after != before
