"""The rotation rule, schedule config validation, and the on-call service's answers and failures."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from engine.alerts.card import CardOwner, IncidentCard
from engine.core.clock import FakeClock
from engine.errors import NotFound, Unavailable
from engine.oncall.config import OncallConfig, Rotation
from engine.oncall.schedule import rotation_at
from engine.oncall.service import OncallService, check_schedules

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "oncall"
START = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
ROT = Rotation(people=["alice", "bob", "carol"], start=START, shift_hours=24)


@pytest.mark.parametrize("hours, who", [(0, "alice"), (23.9, "alice"), (24, "bob"), (49, "carol"), (72, "alice"),
                                        (24 * 3 * 100 + 25, "bob")])
def test_rotation_takes_turns(hours, who):
    at = START + timedelta(hours=hours)
    got, until = rotation_at(ROT, at)
    assert got == who and until is not None and timedelta(0) < until - at <= timedelta(hours=24)


def test_rotation_before_start_names_nobody():
    assert rotation_at(ROT, START - timedelta(seconds=1)) == ("", START)


@pytest.mark.parametrize("data, words", [
    ({"schedules": [{"team": "a"}]}, "exactly one of"),
    ({"schedules": [{"team": "a", "ical": "x.ics", "rotation": {"people": ["a"], "start": "2026-12-07T09:00:00Z"}}]},
     "exactly one of"),
    ({"schedules": [{"team": "a", "rotation": {"people": ["a"], "start": "2026-12-07T09:00:00"}}]}, "time zone"),
    ({"schedules": [{"team": "a", "rotation": {"people": [], "start": "2026-12-07T09:00:00Z"}}]}, "at least 1"),
    ({"schedules": [{"team": "a", "ical": "x.ics"}, {"team": "a", "ical": "y.ics"}]}, "two schedules"),
])
def test_bad_schedules_fail_validation(data, words):
    with pytest.raises(ValidationError) as err:
        OncallConfig.model_validate(data)
    assert words in str(err.value)


def _service(tmp_path, clock):
    cfg = OncallConfig.model_validate({"schedules": [
        {"team": "platform", "ical": str(FIX / "platform.ics")},
        {"team": "ml", "rotation": {"people": ["alice", "bob"], "start": "2026-12-07T09:00:00Z", "shift_hours": 24}},
        {"team": "data", "ical": "data.ics"}]})  # relative to the config's folder
    return OncallService(cfg, clock, tmp_path)


def _card(team: str) -> IncidentCard:
    return IncidentCard(id=1, title="t", severity="critical", status="open", alert_count=1, firing_count=1,
                        services=[], alertnames=[], opened_at=None, owner=CardOwner(team=team))


def test_service_answers_per_team_and_a_broken_feed_never_breaks_a_card(tmp_path):
    clock = FakeClock(START + timedelta(hours=1))
    (tmp_path / "data.ics").write_bytes((FIX / "malformed.ics").read_bytes())
    svc = _service(tmp_path, clock)
    # Before anything is loaded a card simply names nobody (and never reads a feed itself).
    ctx = _card("platform")
    svc.extend_card(ctx)
    assert ctx.owner.oncall is None

    async def run():
        (platform,) = await svc.who("platform")
        assert platform.people == ("Bob Baker",) and platform.source.endswith("platform.ics")
        (ml,) = await svc.who("ml")
        assert ml.people == ("alice",) and ml.until == START + timedelta(hours=24)
        with pytest.raises(Unavailable) as err:
            await svc.who("data")
        assert "not valid iCalendar" in err.value.message
        with pytest.raises(NotFound) as err:
            await svc.who("nobody")
        assert "platform, ml, data" in err.value.hint
        with pytest.raises(Unavailable):
            await svc.who()  # all teams: the broken one is named, not skipped silently
    asyncio.run(run())
    svc.extend_card(ctx)
    assert ctx.owner.oncall == ["Bob Baker"]
    ctx = _card("data")
    svc.extend_card(ctx)  # the malformed calendar: no name, no exception
    assert ctx.owner.oncall is None
    clock.advance(hours=24)
    assert svc.now_for("ml", clock.now()).people == ("bob",)  # the cached answer expired at the handover


def test_check_reports_each_unreadable_calendar(tmp_path):
    (tmp_path / "data.ics").write_bytes(b"garbage")
    cfg = OncallConfig.model_validate({"schedules": [
        {"team": "platform", "ical": str(FIX / "platform.ics")}, {"team": "data", "ical": "data.ics"},
        {"team": "gone", "ical": "missing.ics"}]})
    problems = check_schedules(cfg, tmp_path, START)
    assert len(problems) == 2
    assert problems[0].startswith("team data:") and "not valid iCalendar" in problems[0]
    assert problems[1].startswith("team gone:") and "missing.ics" in problems[1]
