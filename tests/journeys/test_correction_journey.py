"""Split… then Merge into… on the demo's incident cards in a real browser, as carol and bob."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect


pytestmark = pytest.mark.slow


def test_split_one_alert_out_then_merge_it_back(person, shots):
    p = person
    p.be("carol")
    p.open("incidents")
    # An open incident with at least two alerts, all firing: one alert can be split out of it.
    cards = p.page.locator("#messages [data-testid=message]").filter(has=p.page.get_by_test_id("button-alerts.split"))
    found = [(c.get_attribute("data-ts"), re.search(r"(\d+) firing of (\d+)", c.inner_text())) for c in cards.all()]
    ts, counts = next((ts, m) for ts, m in reversed(found) if m and int(m.group(1)) == int(m.group(2)) >= 2)
    card = p.message_at(ts)
    incident = int(re.search(r"#(\d+) ", card.inner_text()).group(1))
    total = int(counts.group(2))

    p.press(card, "alerts.split")
    modal = p.page.get_by_test_id("modal")
    expect(modal).to_be_visible()
    p.check("the Split… form opens")
    boxes = modal.locator("input[type=checkbox]")
    assert boxes.count() == min(total, 100)
    boxes.first.check()
    p.page.get_by_test_id("modal-submit").click()
    expect(modal).to_be_hidden()
    expect(card).to_contain_text(f"firing of {total - 1}")
    p.check("carol splits one alert out")
    detail = p.send(f"/ops incident {incident}").inner_text()
    new = int(re.search(r"split out to incident #(\d+) by", detail).group(1))

    p.be("bob")
    split_off = p.card(f"#{new} ", "alerts.merge")
    expect(split_off).to_contain_text("firing of 1")
    p.press(split_off, "alerts.merge")
    expect(modal).to_be_visible()
    modal.get_by_test_id("select-pick").select_option(str(incident))
    p.page.get_by_test_id("modal-submit").click()
    expect(modal).to_be_hidden()
    expect(split_off).to_contain_text(f"merged into incident #{incident}")
    expect(split_off.get_by_test_id("button-alerts.merge")).to_have_count(0)
    expect(card).to_contain_text(f"firing of {total}")
    p.check("bob merges it back")
    # The list and the detail say what the card says: merged, not "Resolved · 0/0 firing".
    listed = next(line for line in p.send("/ops incidents all").inner_text().splitlines() if f"#{new} " in line)
    assert f"Merged into #{incident}" in listed and "Resolved" not in listed, listed
    assert f"Merged into #{incident}" in p.send(f"/ops incident {new}").inner_text()
    p.check("/ops incidents all and /ops incident N after the merge")
    stats = p.send("/ops stats").inner_text()
    assert re.search(r"\d+ splits?, \d+ merges?", stats), stats
    p.shot(shots, "split-then-merge")
