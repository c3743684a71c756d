"""A replica that created an incident channel and died before recording it: the retry adopts that channel."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.warroom import IncidentChannelOpener
from bot.workspace import WorkspaceConfig, start_workspace
from engine.actor import Actor
from engine.config import OpsbotConfig
from engine.core.clock import FakeClock
from engine.settings import EngineSettings
from engine.store.migrate import migrate
from engine.warroom.service import CLAIM_TTL_S
from engine.wiring import build_engine

TOKEN = "xoxb-recovery"


@pytest.fixture
async def setup(tmp_path):
    ws = await start_workspace(WorkspaceConfig(signing_secret="s", bot_token=TOKEN))
    clock = FakeClock(datetime.now(timezone.utc))
    eng = build_engine(EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}"),
                       OpsbotConfig.model_validate({"alerts": {"default_channel": "#incidents"}}), clock=clock)
    await migrate(eng.db)
    await eng.alerts.receive("generic", json.dumps({"source": "t", "alerts": [{
        "labels": {"alertname": "DiskFull", "severity": "warning"}, "status": "firing",
        "startsAt": "2026-12-06T10:00:00Z"}]}).encode())
    client = AsyncWebClient(token=TOKEN, base_url=ws.api_url)
    yield ws, eng, clock, client
    await eng.close()
    await ws.stop()


async def test_retry_adopts_the_channel_the_dead_replica_made(setup):
    ws, eng, clock, client = setup
    await eng.incident_channels.request(1, Actor("U0ALICE", "alice"))
    plan = await eng.incident_channels.claim(1)
    await client.conversations_create(name=plan.name)  # ...and the replica dies here
    opener = IncidentChannelOpener(eng, client)
    assert await opener.drain() == 0  # the claim is still held
    clock.advance(seconds=CLAIM_TTL_S + 1)
    assert await opener.drain() == 1
    made = [c for c in ws.workspace.channels.values() if c.members is not None]
    assert [c.name for c in made] == [plan.name] and ws.members(plan.name) == ["U0OPSBOT", "U0ALICE"]
    assert (await eng.incident_channels.get(1)).channel_id == made[0].id


async def test_a_name_a_person_took_is_not_adopted(setup):
    ws, eng, clock, client = setup
    await eng.incident_channels.request(1, Actor("U0ALICE", "alice"))
    plan = await eng.incident_channels.claim(1)
    cid = (await client.conversations_create(name=plan.name))["channel"]["id"]
    ws.workspace.channels[cid].creator = "U0BOB"  # bob made #inc-1-diskfull himself
    clock.advance(seconds=CLAIM_TTL_S + 1)
    assert await IncidentChannelOpener(eng, client).drain() == 1
    assert (await eng.incident_channels.get(1)).channel_name == plan.name + "-2"
