"""The cheap pieces of the `/ops` ack path: word splitting, request ids, lease renewal pacing."""

from __future__ import annotations

import asyncio
import random
import re
import shlex
import time

import pytest

from bot.commands import split_words
from bot.logs import new_request_id, request_id
from engine.core.clock import SystemClock
from engine.errors import InvalidInput
from engine.core.leases import Lease, Leases
from engine.core.scheduler import Scheduler
from engine.store.db import Database


def test_plain_text_splits_exactly_like_shlex():
    rng = random.Random(7)
    alphabet = " \t\r\n\x0b\x0c\x1c\x1fab7#;|&=*\"'\\\u00a0\u2003é"
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        try:
            expected: list[str] | str = shlex.split(text)
        except ValueError:
            expected = "error"
        try:
            got: list[str] | str = split_words(text)
        except InvalidInput:
            got = "error"
        assert got == expected, repr(text)


def test_smart_quotes_still_group_words():
    assert split_words("runbook run \u201crestart api\u201d now") == ["runbook", "run", "restart api", "now"]
    with pytest.raises(InvalidInput):
        split_words('help "oops')


def test_request_ids_are_twelve_hex_digits_and_distinct():
    ids = {new_request_id() for _ in range(10000)}
    assert len(ids) == 10000
    assert all(re.fullmatch(r"[0-9a-f]{12}", rid) for rid in ids)
    assert request_id.get() in ids


class CountingLeases(Leases):
    """Real SQLite leases that count their round trips."""

    calls = 0

    async def acquire(self, name: str, ttl_s: float) -> int | None:
        self.calls += 1
        return await super().acquire(name, ttl_s)


async def test_a_held_lease_is_renewed_at_half_its_ttl_not_every_tick(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'leases.db'}")
    await db.run_sync(lambda conn: Lease.__table__.create(conn))
    leases = CountingLeases(db, SystemClock(), "me")
    sched = Scheduler(leases, tick_s=0.05, ttl_s=1.0)
    runs = 0

    async def job(_now) -> None:
        nonlocal runs
        runs += 1

    sched.add("j", 0.0, job)
    sched.start()
    started = time.monotonic()
    expiries_ahead: list[float] = []
    while time.monotonic() - started < 1.5:
        await asyncio.sleep(0.05)
        held = await leases.holder("job:j")
        if held is not None:
            expiries_ahead.append((held[1] - leases.clock.now()).total_seconds())
    await sched.stop()
    await db.dispose()
    ticks = 1.5 / 0.05
    # Renewed when under half the TTL is left: about every 0.25 s here, not every 0.05 s tick.
    assert 4 <= leases.calls <= ticks / 3, leases.calls
    assert runs >= ticks / 2 and sched.jobs["j"].lapses == 0
    assert min(expiries_ahead[1:-1]) > 0.2  # the row never came near expiring while held
