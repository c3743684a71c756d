"""Incident channel records on SQLite and PostgreSQL: one claim wins, auto requests, both cards queued."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select
from sqlmodel import col

from engine.actor import Actor
from engine.config import OpsbotConfig
from engine.core.outbox_tables import OutboxItem
from engine.settings import EngineSettings
from engine.store.migrate import migrate
from engine.warroom.service import channel_key
from engine.wiring import build_engine


def _alert(name: str, severity: str) -> bytes:
    return json.dumps({"source": "test", "alerts": [{
        "labels": {"alertname": name, "service": "checkout", "severity": severity},
        "annotations": {"summary": name}, "status": "firing", "startsAt": "2026-12-06T10:00:00Z"}]}).encode()


async def _engine(url: str):
    config = OpsbotConfig.model_validate({"alerts": {
        "default_channel": "#incidents", "incident_channel": {"auto_severities": ["critical"], "prefix": "war"}}})
    eng = build_engine(EngineSettings(OPSBOT_DATABASE_URL=url), config)
    await migrate(eng.db)
    return eng


async def _notices(eng, key: str) -> list[OutboxItem]:
    async with eng.db.session() as s:
        return list((await s.execute(select(OutboxItem).where(col(OutboxItem.key) == key)
                                     .order_by(col(OutboxItem.id)))).scalars())


async def test_one_claim_wins_and_both_cards_are_queued(store_url):
    eng = await _engine(store_url)
    rooms = eng.incident_channels
    try:
        await eng.alerts.receive("generic", _alert("DiskFull", "warning"))
        [card] = await _notices(eng, "incident:1")
        assert "warroom.open" in json.dumps(card.context["extra_actions"]) and await rooms.pending() == []
        row, fresh = await rooms.request(1, Actor("U0ALICE", "alice"))
        again, fresh_again = await rooms.request(1, Actor("U0BOB", "bob"))
        assert fresh and not fresh_again and again.requested_by == "U0ALICE"
        plans = await asyncio.gather(rooms.claim(1), rooms.claim(1))  # two replicas at once
        [plan] = [p for p in plans if p is not None]
        assert plan.name == "war-1-diskfull-on-checkout" and plan.members == ["U0ALICE"]
        assert await rooms.pending() == []  # claimed, not given to the job again
        await rooms.opened(1, "C1000005", "war-1-diskfull")
        latest = (await _notices(eng, "incident:1"))[-1]
        assert latest.context["incident_channel"] == {"id": "C1000005", "name": "war-1-diskfull"}
        assert "warroom.open" not in json.dumps(latest.context["extra_actions"])
        [copy] = await _notices(eng, channel_key(1))
        assert copy.channel == "C1000005" and copy.context["pin"] is True
        mirror_only = ("in_incident_channel", "origin_channel", "pin")  # the rest is one context
        assert {k: v for k, v in copy.context.items() if k not in mirror_only} \
            == {k: v for k, v in latest.context.items() if k not in mirror_only}
        assert latest.context["pin"] is False and latest.context["in_incident_channel"] is False
        # Once open, asking again changes nothing.
        row, fresh = await rooms.request(1, Actor("U0CAROL"))
        assert not fresh and row.state == "open" and row.channel_id == "C1000005"
    finally:
        await eng.close()


async def test_critical_incidents_are_requested_with_their_card_and_failures_give_the_button_back(store_url):
    eng = await _engine(store_url)
    rooms = eng.incident_channels
    try:
        await eng.alerts.receive("generic", _alert("ErrorBudgetBurn", "critical"))
        assert await rooms.pending() == [1] and (await rooms.get(1)).requested_by == "opsbot"
        for attempt in range(1, rooms.cfg.max_attempts + 1):
            assert (await rooms.claim(1)).attempt == attempt
            gave_up = await rooms.failed(1, "restricted_action")
            assert gave_up == (attempt == rooms.cfg.max_attempts)
        assert (await rooms.get(1)).state == "failed" and await rooms.pending() == []
        latest = (await _notices(eng, "incident:1"))[-1]
        assert "warroom.open" in json.dumps(latest.context["extra_actions"])  # a person may try again
        row, fresh = await rooms.request(1, Actor("U0ALICE"))
        assert fresh and row.state == "requested" and row.attempts == 0
    finally:
        await eng.close()


async def test_home_viewers_and_incident_items(store_url):
    eng = await _engine(store_url)
    try:
        await eng.alerts.receive("generic", _alert("DiskFull", "warning"))
        await eng.alerts.acknowledge(1, Actor("U0BOB", "bob"))
        for user in ("U0ALICE", "U0BOB", "U0ALICE"):
            await eng.home.opened(user)
        assert set(await eng.home.viewers()) == {"U0ALICE", "U0BOB"}
        bob, alice = await eng.home.items(Actor("U0BOB")), await eng.home.items(Actor("U0ALICE"))
        assert [(i["id"], i["role"]) for i in bob.incidents] == [(1, "acknowledged")] and alice.incidents == []
        await eng.incident_channels.request(1, Actor("U0ALICE"))
        alice = await eng.home.items(Actor("U0ALICE"))
        assert [(i["id"], i["role"], i["channel_id"]) for i in alice.incidents] == [(1, "opened its channel", None)]
    finally:
        await eng.close()
