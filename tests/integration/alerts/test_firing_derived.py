"""An incident's firing set is derived from the alerts table: what the writer keeps in memory is
exactly what a reload from the store builds, through a storm with flapping, resolves and HA twins."""

from __future__ import annotations

from datetime import datetime, timedelta

from engine.alerts import repo
from engine.lab.alerts.evaluate import _strip_truth
from engine.lab.alerts.storm import StormParams, deliveries


async def _compare(ingest, clock) -> tuple[bool, bool]:
    """Check the cache against a reload; return (something fires, something resolved)."""
    cached = ingest.store.incidents or {}
    async with ingest.db.session() as s:
        reloaded = await repo.load_candidates(s, clock.now(), ingest.cfg.reopen_window_s, cached)
    for inc_id, inc in cached.items():
        assert inc.firing == reloaded[inc_id].firing, inc_id
        assert inc.firing_groups == reloaded[inc_id].firing_groups, inc_id
    return (any(i.firing for i in cached.values()),
            any(not i.is_open or i.resolve_due_at for i in cached.values()))


async def test_cached_firing_sets_equal_a_reload_from_the_alerts_table(ingest, clock):
    step = timedelta(seconds=ingest.cfg.tick_interval_s)
    last_tick, seen = None, set()
    for n, d in enumerate(deliveries(StormParams(seed=3))):
        at = datetime.fromisoformat(d["at"].replace("Z", "+00:00"))
        last_tick = last_tick or at
        while last_tick + step <= at:  # cool-down resolves and reopens happen between deliveries
            last_tick += step
            clock.set(last_tick)
            await ingest.tick()
        clock.set(max(at, clock.now()))
        await ingest.receive(d["source"], _strip_truth(d["body"])[0])
        if n % 25 == 24:
            firing, resolving = await _compare(ingest, clock)
            seen |= {"firing"} if firing else set()
            seen |= {"resolving"} if resolving else set()
    await _compare(ingest, clock)
    assert seen == {"firing", "resolving"}  # the checks covered both states
