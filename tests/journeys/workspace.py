"""A person at the local workspace page, and the checker every journey step runs."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

USERS = {"alice": "U0ALICE", "bob": "U0BOB", "carol": "U0CAROL"}

# What a person must never see in a rendered message.
FORBIDDEN = [
    (re.compile(r"\bNone\b(?! of\b)"), "a raw None"),
    # Slack reads a shortcode only after a space or punctuation: "anomaly:checkout-latency:51…" (a
    # fingerprint) is not one.
    (re.compile(r"(?<![\w:]):[a-z0-9_+-]*[a-z][a-z0-9_+-]*:(?!//)"), "an unrendered emoji shortcode"),
    (re.compile(r"<!date"), "a literal <!date token"),
    (re.compile(r"```"), "stray triple backticks"),
    (re.compile(r"\{\{|\}\}|\{%|%\}"), "template markup"),
    (re.compile(r"\[unsupported block"), "an unsupported block"),
    # Times render as <!date^> tokens (each reader's own zone), never as raw ISO strings.
    (re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d"), "a raw ISO timestamp"),
    # A request's title stays on its card after it ran: "to v5 (now v2)" would then contradict it.
    (re.compile(r"\(now v\d+\)"), "the alias holder at request time said as present"),
    # `/ops why` names the grouping evidence in words and ages, not the model's feature codes and values.
    (re.compile(r"\b(?:topology \d hops?|alertname|spreading|same node/host|same zone/rack|outside the graph|co-occurrence) \d\.\d\d\b"),
     "a grouping feature's raw value"),
]


# An ephemeral answer is never updated, so it must not state a status that will change (it would read
# "waiting" beside the card that says "Succeeded"): it says what was done and points to the live card.
STALE_IN_EPHEMERALS = [
    (re.compile(r"Waiting for approval|Moving the alias now|Needs \d+ approvals? from .*request is posted"),
     "a present status in a message that is never updated"),
]


def problems(text: str, ephemeral: bool = False) -> list[str]:
    """Return what is wrong with one rendered message's text."""
    found = []
    for pattern, what in FORBIDDEN + (STALE_IN_EPHEMERALS if ephemeral else []):
        for m in pattern.finditer(text):
            found.append(f"{what}: {text[max(0, m.start() - 60):m.end() + 60]!r}")
    return found


class Person:
    """Drives the workspace page as a person does: picker, channel buttons, composer, buttons, dialogs."""

    def __init__(self, page: Page, url: str, user: str = "alice") -> None:
        self.page = page
        page.goto(f"{url}/?user={user}&channel=ops")
        expect(page.get_by_test_id("channel-title")).to_have_text("# ops")
        self.channel = "ops"

    def be(self, user: str) -> None:
        """Switch the user picker (what a person sees changes: their own ephemerals, their modals)."""
        self.page.get_by_test_id("user-picker").select_option(USERS[user])
        expect(self.page.get_by_test_id("user-picker")).to_have_value(USERS[user])
        self.settle()

    def open(self, channel: str) -> None:
        """Click a channel in the sidebar."""
        self.page.get_by_test_id(f"channel-{channel}").click()
        expect(self.page.get_by_test_id("channel-title")).to_have_text(f"# {channel}")
        self.channel = channel
        self.settle()

    def settle(self, seconds: float = 0.8) -> None:
        """Let the page's 0.5 s poll pick up what the bot did."""
        time.sleep(seconds)

    def _stamps(self) -> list[str]:
        return self.page.locator("#messages [data-testid=message]").evaluate_all(
            "ns => ns.map(n => n.dataset.ts)")

    def send(self, text: str, timeout: float = 15) -> Locator:
        """Type into the composer and press Enter; return the newest message that appeared."""
        before = set(self._stamps())
        box = self.page.get_by_test_id("composer")
        box.fill(text)
        box.press("Enter")
        deadline = time.monotonic() + timeout
        while not (new := [ts for ts in self._stamps() if ts not in before]):
            assert time.monotonic() < deadline, f"no answer to {text!r}"
            time.sleep(0.2)
        self.settle(1.0)  # an answer that acks first may be followed by its card
        new = [ts for ts in self._stamps() if ts not in before]
        return self.message_at(new[-1])

    def message_at(self, ts: str) -> Locator:
        """The message with this timestamp in the channel pane."""
        return self.page.locator(f"#messages [data-testid=message][data-ts='{ts}']")

    def card(self, text: str, action_id: str | None = None) -> Locator:
        """The newest message in the channel pane showing this text (and this button), pinned by its
        ts: the card stays the same message when its text or buttons change."""
        found = self.page.locator("#messages [data-testid=message]").filter(has_text=text)
        if action_id:
            found = found.filter(has=self.page.get_by_test_id(f"button-{action_id}"))
        return self.message_at(found.last.get_attribute("data-ts"))

    def press(self, message: Locator, action_id: str, *, value: str | None = None, confirm: bool = True) -> None:
        """Click a message's button; answer its confirm dialog if one opens."""
        sel = f"[data-testid='button-{action_id}']" + (f"[data-value='{value}']" if value else "")
        message.locator(sel).first.click()
        dialog = self.page.get_by_test_id("confirm-dialog")
        try:
            dialog.wait_for(state="visible", timeout=700)
        except Exception:  # no confirm on this button
            pass
        else:
            self.page.get_by_test_id("confirm-yes" if confirm else "confirm-no").click()
        self.settle()

    def visible_texts(self) -> list[tuple[str, str]]:
        """(where, rendered text) of every visible message, the thread pane and the open modal."""
        texts = []
        for pane in ("#messages", "#thread-messages"):
            for node in self.page.locator(f"{pane} [data-testid=message]").all():
                if node.is_visible():
                    texts.append((f"{self.channel}{pane} ts={node.get_attribute('data-ts')}", node.inner_text()))
        modal = self.page.get_by_test_id("modal")
        if modal.is_visible():
            texts.append(("modal", modal.inner_text()))
        return texts

    def check(self, step: str) -> None:
        """Fail on anything a person must never see in any visible message."""
        found = [f"{where}: {p}" for where, text in self.visible_texts()
                 for p in problems(text, ephemeral="Only visible to you" in text)]
        assert not found, f"after {step!r}:\n" + "\n".join(found)

    def shot(self, folder: Path, name: str) -> Path:
        """Keep a screenshot of the page (a test artifact); print where it is."""
        path = folder / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        print(f"journey screenshot: {path}")
        return path
