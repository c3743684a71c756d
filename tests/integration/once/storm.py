"""A 50-incident storm with a Slack rate-limit window: cards and thread replies queue while the
local workspace answers 429 with Retry-After, then drain. Used by the test and the benchmark."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any

from bot.stack import LocalStack, start_local_stack
from bot.workspace import WorkspaceConfig
from engine.config import OpsbotConfig
from engine.core.notices import Notice
from engine.settings import EngineSettings

CHANNEL = "incidents"
CARD = re.compile(r"^card (\d+) v(\d+)$")
REPLY = re.compile(r"^reply (\d+)\.(\d+)$")


@dataclass
class StormResult:
    """What left for Slack after the window, in order, and when."""

    recovered_at: float  # workspace clock time the window ended
    writes: list[dict[str, Any]]  # every accepted chat write, in order
    cards_current_s: float = 0.0  # recovery -> the last card shows its newest state
    first_reply_s: float = 0.0  # recovery -> first thread reply sent
    drained_s: float = 0.0  # recovery -> the outbox is empty
    order: list[str] = field(default_factory=list)  # class of each write after recovery, compressed

    def after(self) -> list[dict[str, Any]]:
        """Return the writes accepted once the window had ended."""
        return [w for w in self.writes if w["at"] >= self.recovered_at]


def _card(i: int, v: int) -> Notice:
    return Notice(key=f"incident:{i}", channel=CHANNEL, template="core/notice",
                  context={"title": f"card {i} v{v}", "text": ""})


def _reply(i: int, seq: int) -> Notice:
    return Notice(key=f"incident:{i}:update:{seq}", channel=CHANNEL, template="core/notice",
                  thread_key=f"incident:{i}", context={"title": f"reply {i}.{seq}", "text": ""})


def kind(write: dict[str, Any]) -> str:
    """Return 'post', 'edit' or 'reply' for a workspace write."""
    if write["thread_ts"] and write["thread_ts"] != write["ts"]:
        return "reply"
    return "edit" if write["method"] == "update" else "post"


def compress(kinds: list[str]) -> list[str]:
    """Return runs of equal kinds as 'kind xN'."""
    runs: list[list[Any]] = []
    for k in kinds:
        if runs and runs[-1][0] == k:
            runs[-1][1] += 1
        else:
            runs.append([k, 1])
    return [f"{k} x{n}" for k, n in runs]


async def start_storm_stack(db_url: str, rate: float) -> LocalStack:
    """Start a workspace paced at `rate` posts/s per channel and a bot whose notifier we drive."""
    ws = WorkspaceConfig(signing_secret="", bot_token="", rate_per_second=rate, rate_burst=3)
    stack = await start_local_stack(EngineSettings(OPSBOT_DATABASE_URL=db_url), OpsbotConfig(),
                                    workspace_config=ws, background=False)
    stack.bot.notifier.rate, stack.bot.notifier.burst = rate, 3.0
    return stack


async def run_storm(stack: LocalStack, *, incidents: int = 50, replies: int = 2, window_s: float = 3.0,
                    posted_before: int = 10, timeout_s: float = 120.0) -> StormResult:
    """Post cards, open a 429 window, queue edits and replies during it, drain, and time it."""
    bot, ws = stack.bot, stack.workspace.workspace
    engine = bot.engine
    stop = asyncio.Event()

    async def drain_loop() -> None:  # what the leased `outbox` job does, at a finer tick
        while not stop.is_set():
            await bot.notifier.drain()
            await asyncio.sleep(0.02)

    for i in range(incidents):
        await engine.notify(_card(i, 0))
    drainer = asyncio.create_task(drain_loop())
    try:
        deadline = time.monotonic() + timeout_s
        while sum(1 for w in ws.writes if w["method"] == "post") < posted_before:
            assert time.monotonic() < deadline, "cards were not posted before the window"
            await asyncio.sleep(0.01)
        ws.rate_limit_for(window_s)
        recovered_at = ws.limited_until
        # During the window every incident changes `replies` times: its card is edited and a
        # thread reply says what changed, interleaved as the alert pipeline emits them.
        for seq in range(1, replies + 1):
            for i in range(incidents):
                await engine.notify(_card(i, seq))
                await engine.notify(_reply(i, seq))
        while await engine.outbox.depth():
            assert time.monotonic() < deadline, f"outbox not drained: {await engine.outbox.depth()} left"
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await drainer
    result = StormResult(recovered_at, list(ws.writes))
    after = result.after()
    last = {int(CARD.match(w["text"]).group(1)): idx for idx, w in enumerate(after) if kind(w) != "reply"}
    replies_at = [w["at"] for w in after if kind(w) == "reply"]
    result.cards_current_s = max(after[idx]["at"] for idx in last.values()) - recovered_at if last else 0.0
    result.first_reply_s = min(replies_at) - recovered_at if replies_at else 0.0
    result.drained_s = after[-1]["at"] - recovered_at if after else 0.0
    result.order = compress([kind(w) for w in after])
    return result
