"""Every other ingestion path, hit by N identical and N interleaved concurrent deliveries spread
over two replicas on PostgreSQL: Alertmanager webhooks, change events and Slack button clicks
each yield one record, one decision and one message per change."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections import Counter

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.stack import start_local_stack
from bot.workspace import WorkspaceConfig
from engine.alerts.tables import AlertRow, DecisionRow, IncidentRow
from engine.config import OpsbotConfig
from engine.rca.tables import ChangeRow
from engine.settings import EngineSettings

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

TOKEN = "once-webhook-token"
GROUPS, COPIES = 8, 4
NAMES = ("HighLatency", "HighErrorRate", "Down")


def am_body(service: str, names: tuple[str, ...], am: str) -> bytes:
    """Return an Alertmanager v4 notification of one service's group (as HA peer `am` sends it)."""
    # Services an hour apart: the same alerts starting at one instant on services the graph keeps
    # apart are one cause to the grouping model (docs/grouping.md).
    hour = int(service.rsplit("-", 1)[1])
    alerts = [{"status": "firing", "labels": {"alertname": n, "service": service, "severity": "critical"},
               "annotations": {"summary": f"{n} on {service}"}, "startsAt": f"2026-11-27T{hour:02d}:00:00Z",
               "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "", "fingerprint": f"{n}-{service}"}
              for n in names]
    return json.dumps({"receiver": "opsbot", "status": "firing", "alerts": alerts,
                       "groupLabels": {"service": service}, "commonLabels": {"service": service},
                       "commonAnnotations": {}, "externalURL": f"http://{am}:9093", "version": "4",
                       "groupKey": f'{{}}:{{service="{service}"}}', "truncatedAlerts": 0}).encode()


async def _post(http: aiohttp.ClientSession, url: str, path: str, body: bytes) -> int:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    async with http.post(url + path, data=body, headers=headers) as r:
        await r.read()
        return r.status


async def _count(db, table, *where) -> int:
    async with db.session() as s:
        return (await s.execute(select(func.count()).select_from(table).where(*where))).scalar_one()


@pytest.fixture
async def two_replicas(pg_url):
    """Two replicas on one PostgreSQL database beside one workspace, alerts in #incidents."""
    # With a dependency graph and onsets an hour apart (am_body), failures of unrelated services
    # stay apart: one incident per service.
    config = OpsbotConfig.model_validate({"alerts": {"default_channel": "#incidents", "tick_interval_s": 0.5,
                                                     "depends_on": {f"svc-{g}": [f"db-{g}"] for g in range(GROUPS)}}})
    # Slack's 1 post/s is not the point here: 20/s keeps the test short.
    ws_config = WorkspaceConfig(signing_secret="", bot_token="", rate_per_second=20.0, rate_burst=5)
    stack = await start_local_stack(EngineSettings(OPSBOT_DATABASE_URL=pg_url), config, webhook_token=TOKEN,
                                    workspace_config=ws_config)
    await stack.add_replica(config)
    for r in stack.runtimes:
        r.notifier.rate, r.notifier.burst = 20.0, 5.0
    yield stack
    await stack.stop()


async def test_alerts_changes_and_clicks_are_recorded_once(two_replicas):
    stack = two_replicas
    urls = [r.url for r in stack.runtimes]
    db = stack.bot.engine.db
    rng = random.Random(26)
    services = [f"svc-{g}" for g in range(GROUPS)]
    # Identical: the same full body COPIES times to each replica. Interleaved: both HA peers
    # send growing subsets of the group in shuffled order to random replicas.
    deliveries = [(u, am_body(s, NAMES, "am-0")) for s in services for u in urls for _ in range(COPIES)]
    for s in services:
        for am, k in itertools.product(("am-0", "am-1"), range(1, len(NAMES) + 1)):
            deliveries.append((rng.choice(urls), am_body(s, NAMES[:k], am)))
    rng.shuffle(deliveries)
    changes = [{"id": f"deploy-{i}", "service": services[i % GROUPS], "kind": "deploy",
                "at": "2026-11-27T11:58:00Z", "description": f"release {i}"} for i in range(6)]
    change_bodies = [json.dumps({"source": "ci", "changes": rng.sample(changes, 4)}).encode() for _ in range(12)]
    async with aiohttp.ClientSession() as http:
        # Each group's first notification arrives in onset order (an alert that started hours
        # before the incident it would join reads as simultaneous to the grouping model, which
        # never counts a gap backwards); every copy and subset after it races.
        first = [await _post(http, urls[g % 2], "/webhooks/alertmanager", am_body(s, NAMES, "am-0"))
                 for g, s in enumerate(services)]
        statuses = first + await asyncio.gather(
            *(_post(http, u, "/webhooks/alertmanager", b) for u, b in deliveries),
            *(_post(http, urls[i % 2], "/webhooks/changes", b) for i, b in enumerate(change_bodies)))
    assert set(statuses) == {200}

    # Change events: one row per (source, id) however often and wherever they arrived.
    sent = {c["id"] for body in change_bodies for c in json.loads(body)["changes"]}
    assert await _count(db, ChangeRow) == len(sent)

    # Alerts: one alert row per fingerprint, one incident and one Slack card per group.
    assert await _count(db, AlertRow) == GROUPS * len(NAMES)
    assert await _count(db, IncidentRow) == GROUPS
    ws = stack.workspace

    def cards() -> list[dict]:
        return [m for m in ws.messages("#incidents") if (m.get("metadata") or {}).get("event_type") == "opsbot_notice"]
    await ws.wait_for(lambda: len(cards()) >= GROUPS, timeout=60)
    keys = Counter(m["metadata"]["event_payload"]["key"] for m in cards())
    assert len(keys) == GROUPS and set(keys.values()) == {1}, keys

    # Slack actions: Acknowledge clicked COPIES times on each card, by two people, on both
    # replicas at once: one acknowledgement, one lifecycle decision, one thread reply each.
    clicks = []
    for card, (user, i) in itertools.product(cards(), itertools.product(("alice", "bob"), range(COPIES))):
        clicks.append((urls[i % 2], user, card["ts"]))
    rng.shuffle(clicks)

    async def click(url: str, user: str, ts: str):
        ws.set_request_url(f"{url}/slack/events")  # read before the click's first await
        return await ws.click(user, "#incidents", ts, "alerts.ack")
    answers = await asyncio.gather(*(click(*c) for c in clicks))
    assert {a.status for a in answers} == {200}  # acked at once; the work follows the ack

    def ack_replies() -> list[str]:
        return [r["text"] for c in cards() for r in ws.replies("#incidents", c["ts"]) if "acknowledged by" in r["text"]]
    await ws.wait_for(lambda: len(ack_replies()) >= GROUPS, timeout=60)
    await asyncio.sleep(1.5)  # a second acknowledgement or reply would be written within a few drains
    assert len(ack_replies()) == GROUPS
    assert await _count(db, IncidentRow, IncidentRow.acked_at.is_not(None)) == GROUPS
    assert await _count(db, DecisionRow, DecisionRow.stage == "lifecycle", DecisionRow.name == "acknowledged") == GROUPS
