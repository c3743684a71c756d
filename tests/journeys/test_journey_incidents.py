"""Incident journeys through `opsbot demo` in a real browser: a storm acknowledged, snoozed and resolved,
hypothesis feedback, a silence, the incident channel and postmortem, an owner paged once.

After every step every visible message is checked for what a person must never see, and the cards
are compared with what `/ops` commands say about the same state."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.journeys.workspace import Person


pytestmark = pytest.mark.slow


STATUSES = ("Open", "Acknowledged", "Snoozed", "Resolved")


def _card_facts(card_text: str) -> tuple[str, str]:
    """(status, 'N/M' firing) from an incident card's text ("N firing of M", resolved: "N of M still firing")."""
    status = re.search(r"Status\s*\n?\W*(\w+)", card_text)
    counts = re.search(r"(\d+)(?: firing)? of (\d+)", card_text)
    assert status and counts, card_text
    return status.group(1), f"{counts.group(1)}/{counts.group(2)}"


def _list_facts(listing: str, incident: int) -> tuple[str, str] | None:
    """(status, 'N/M') of one incident in `/ops incidents`, None when it is not listed."""
    line = next((ln for ln in listing.splitlines() if f"#{incident} " in ln), None)
    if line is None:
        return None
    status = next((s for s in STATUSES if s in line), None)
    counts = re.search(r"(\d+/\d+) firing", line)
    assert status and counts, line
    return status, counts.group(1)


def _agree(p: Person, card, incident: int, step: str, expect_status: str, snoozed: bool = False) -> None:
    """The card, `/ops incidents` and `/ops incident N` say the same status, counts and snooze."""
    expect(card).to_contain_text(expect_status)
    if snoozed:
        expect(card).to_contain_text("snoozed until")
    else:
        expect(card).not_to_contain_text("snoozed until")
    on_card = _card_facts(card.inner_text())
    assert on_card[0] == expect_status, (step, card.inner_text())
    listing = p.send("/ops incidents").inner_text()
    listed = _list_facts(listing, incident)
    if expect_status == "Resolved":
        assert listed is None, (step, listing)  # the list shows open incidents only
    else:
        assert listed == on_card, (step, on_card, listing)
    detail = p.send(f"/ops incident {incident}").inner_text()
    assert ("snoozed until" in detail.lower()) == snoozed, (step, detail)
    assert expect_status in detail, (step, detail)
    # The pipeline's stage/name codes are for `/ops why`; a person reads the reasons.
    assert not re.search(r"\b(?:group|dedup|edit|lifecycle|notify|post|none)/[a-z_]+:", detail), (step, detail)
    assert re.search(rf"\b{on_card[1].split('/')[0]}\b", detail), (step, on_card, detail)
    for other in STATUSES:
        if other != expect_status:
            assert f"Status\n{other}" not in detail, (step, detail)
    if expect_status == "Resolved":
        assert "snoozed until" not in detail.lower() and "next notification" not in detail.lower(), detail
    # `/ops why` explains the same state: its snooze, its people by name (no user ids), its times as dates.
    why = p.send(f"/ops why {incident}").inner_text()
    assert ("snoozed until" in why.lower()) == snoozed, (step, why)
    assert not re.search(r"\bU0[A-Z0-9]+\b|snoozed_until|resolve_due_at|labels_differ", why), (step, why)
    p.check(step)


def test_alert_storm_acknowledge_snooze_resolve(person, shots):
    p = person
    p.be("carol")
    p.open("incidents")
    p.check("open #incidents")
    # A storm incident no other journey acts on (svc-12's is the owner journey's).
    card = p.card("HighErrorRate on svc-10", "alerts.ack")
    incident = int(re.search(r"#(\d+) HighErrorRate on svc-10", card.inner_text()).group(1))
    _agree(p, card, incident, "storm seeded", "Open")
    # `/ops incident N` hands a person the fingerprint that `/ops why <fingerprint>` takes.
    offered = re.search(r"/ops why ([0-9a-f]{16})", p.send(f"/ops incident {incident}").inner_text())
    assert offered, "no alert fingerprint offered by /ops incident"
    one = p.send(f"/ops why {offered.group(1)}").inner_text()
    # It names the alert as people know it, then the fingerprint they gave.
    assert re.search(rf"Why alert \w+ on [\w-]+ \({offered.group(1)}\)", one) and f"#{incident}" in one, one
    p.check("/ops why <fingerprint>")

    p.press(card, "alerts.ack")
    _agree(p, card, incident, "carol acknowledges", "Acknowledged")
    p.be("bob")
    p.press(card, "alerts.snooze.3600")
    _agree(p, card, incident, "bob snoozes 1h", "Acknowledged", snoozed=True)
    p.press(card, "alerts.resolve")
    _agree(p, card, incident, "bob resolves", "Resolved")
    assert "snoozed until" not in card.inner_text().lower(), card.inner_text()
    p.shot(shots, "storm-ack-snooze-resolve")


def test_hypothesis_feedback_keeps_the_other_hypotheses(person, shots):
    p = person
    p.be("carol")
    p.open("incidents")
    # The demo resolved this incident and opened its channel (incident command); its thread keeps
    # the hypotheses, and Show hypotheses is offered while it is open.
    card = p.card("HighLatency on frontend")
    cause = re.search(r"Likely cause:\s*(.+?) up ", card.inner_text())
    if card.get_by_test_id("button-rca.show").count():
        p.press(card, "rca.show")
    p.check("carol shows hypotheses")
    card.get_by_test_id("replies-link").click()
    thread = p.page.get_by_test_id("thread-messages")
    replies = thread.locator("[data-testid=message]").filter(has_text="Hypotheses for incident")
    expect(replies.first).to_be_visible()
    assert replies.count() == 1, "Show hypotheses posted a second set of hypotheses"
    hyps = replies.first
    footer = re.search(r"Ranked \d+ signals from \d+ services", hyps.inner_text())
    assert footer, hyps.inner_text()
    wrongs = hyps.get_by_test_id("button-rca.wrong")
    total = wrongs.count()
    assert total >= 3, hyps.inner_text()
    first = wrongs.first.get_attribute("data-value")
    p.check("thread open")

    p.press(hyps, "rca.wrong", value=first)
    expect(hyps).to_contain_text("wrong by carol")
    p.check("carol marks #1 wrong")
    # Every hypothesis keeps its buttons (a vote can change); the footer's facts stay.
    expect(hyps.get_by_test_id("button-rca.wrong")).to_have_count(total)
    expect(hyps.get_by_test_id("button-rca.confirm")).to_have_count(total)
    expect(hyps).to_contain_text(footer.group(0))
    if cause:  # the cause marked wrong leaves the card
        expect(card).not_to_contain_text(f"Likely cause: {cause.group(1)} ")

    p.be("bob")
    second = hyps.get_by_test_id("button-rca.confirm").nth(1).get_attribute("data-value")
    p.press(hyps, "rca.confirm", value=second)
    expect(hyps).to_contain_text("confirmed by bob")
    p.check("bob confirms #2")
    # The card names the cause people confirmed (the first is now disputed: bob yes, carol no).
    second_name = re.search(r"^2\. (.+?) · \d+% confidence", hyps.inner_text(), re.M)
    assert second_name, hyps.inner_text()
    expect(card).to_contain_text(f"Cause: {second_name.group(1)}, confirmed by bob")
    expect(hyps.get_by_test_id("button-rca.wrong")).to_have_count(total)
    expect(hyps).to_contain_text("wrong by carol")
    expect(hyps).to_contain_text(footer.group(0))
    assert thread.locator("[data-testid=message]").filter(has_text="Hypotheses for incident").count() == 1
    p.shot(shots, "hypotheses-feedback")


def test_silence_says_exactly_what_it_covers_then_expires(person, shots):
    p = person
    p.be("carol")
    p.open("incidents")
    card = p.card("", "alerts.silence")
    title = re.search(r"#(\d+) (\w+) on ([\w-]+)", card.inner_text())
    assert title, card.inner_text()
    incident, alertname = int(title.group(1)), title.group(2)
    card.get_by_test_id("button-alerts.silence").first.click()
    dialog = p.page.get_by_test_id("confirm-dialog")
    expect(dialog).to_be_visible()
    said = dialog.inner_text()
    # The confirm names what will be silenced: every alert name of the incident, nothing vaguer.
    assert "one per alert name" in said and alertname in said, said
    p.check("carol opens the silence confirm")
    p.page.get_by_test_id("confirm-yes").click()
    p.settle()
    expect(card).to_contain_text("silenced in Alertmanager")
    expect(card.get_by_test_id("button-alerts.unsilence")).to_be_visible()
    p.check("carol silences")
    why = p.send(f"/ops why {incident}").inner_text()
    assert "silence" in why.lower(), why
    detail = p.send(f"/ops incident {incident}").inner_text()
    assert f"#{incident} " in detail and "silenced in Alertmanager by carol" in detail, detail
    p.check("/ops why and /ops incident after the silence")

    p.be("bob")
    p.press(card, "alerts.unsilence")
    expect(card).not_to_contain_text("silenced in Alertmanager")
    expect(card.get_by_test_id("button-alerts.silence")).to_be_visible()  # offered again, as it is true again
    p.check("bob expires the silences")
    p.shot(shots, "silence-expire")


def test_incident_channel_postmortem_and_home_tab(person, shots):
    from tests.journeys.workspace import problems

    p = person
    # The demo opened the cascade incident's channel: alice is a member, so it is in her sidebar.
    room = p.page.locator("[data-testid^='channel-inc-']").first
    expect(room).to_be_visible()
    name = room.get_attribute("data-testid").removeprefix("channel-")
    p.open(name)
    copy = p.card("pinned copy of the card in #incidents")
    expect(copy.get_by_test_id("pinned-mark")).to_be_visible()
    expect(copy).to_contain_text("Resolved")
    p.check(f"open #{name}")

    p.open("incidents")
    card = p.card("incident channel", "postmortem.draft")
    expect(card).to_contain_text(f"#{name}")  # the original card links the channel
    card.get_by_test_id("replies-link").click()
    expect(p.page.locator("#thread-messages").get_by_test_id("file-link").first).to_be_visible()
    p.check("open the resolved incident's thread")

    p.page.get_by_test_id("home-tab").click()
    home = p.page.get_by_test_id("home-view")
    expect(home).to_contain_text("Approvals waiting for you")
    expect(home).not_to_contain_text("restart-service")  # alice asked for the demo's restart: not hers to approve
    assert not problems(home.inner_text()), problems(home.inner_text())
    p.be("bob")  # the tab follows the person looking: published for bob when he opens it
    expect(p.page.get_by_test_id("home-view")).to_contain_text("Models whose aliases you moved")
    assert not problems(p.page.get_by_test_id("home-view").inner_text())
    p.shot(shots, "home-bob")


def test_owner_paged_once_take_note_resolve_reopen(person, shots):
    p = person
    p.be("bob")
    p.open("incidents")
    card = p.card("HighErrorRate on svc-12", "alerts.take")
    incident = int(re.search(r"#(\d+) HighErrorRate on svc-12", card.inner_text()).group(1))
    # The demo's backend team owns svc-12; its on-call comes from the demo's iCalendar file.
    expect(card).to_contain_text("Owner")
    expect(card).to_contain_text("backend")
    expect(card).to_contain_text("on call:")
    p.check("bob opens #incidents")

    def pages():
        card.get_by_test_id("replies-link").click()
        thread = p.page.get_by_test_id("thread-messages")
        return thread, thread.locator("[data-testid=message]").filter(has_text="@oncall")

    thread, paged = pages()
    expect(paged).to_have_count(1)
    expect(paged.first).to_contain_text(f"incident #{incident} opened")
    p.check("the owning group was paged once")

    p.press(card, "alerts.take")
    expect(card).to_contain_text("Commander")
    expect(card).to_contain_text("@bob")
    expect(card).to_contain_text("Acknowledged")
    p.check("bob takes the incident")

    p.press(card, "alerts.note")
    modal = p.page.get_by_test_id("modal")
    expect(modal).to_be_visible()
    p.check("the note modal opens")
    modal.locator("textarea").first.fill("restarted the svc-12 pods; errors falling")
    p.page.get_by_test_id("modal-submit").click()
    expect(modal).to_be_hidden()
    thread, paged = pages()
    expect(thread).to_contain_text("note by bob: restarted the svc-12 pods; errors falling")
    detail = p.send(f"/ops incident {incident}").inner_text()
    assert "restarted the svc-12 pods" in detail, detail
    p.check("the note is in the thread and the timeline")

    p.press(card, "alerts.resolve")
    expect(card).to_contain_text("Resolved")
    expect(card.get_by_test_id("button-alerts.reopen")).to_be_visible()
    p.be("alice")
    p.press(card, "alerts.reopen")
    expect(card).to_contain_text("Open")
    expect(card).to_contain_text("reopened 1×")
    expect(card).to_contain_text("@bob")  # the commander stays
    thread, paged = pages()
    expect(thread).to_contain_text("reopened by alice")
    expect(paged).to_have_count(1)  # resolve and reopen paged nobody
    p.check("alice reopens")
    p.shot(shots, "owner-take-note-reopen")
