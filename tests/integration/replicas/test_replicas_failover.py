"""Three `opsbot serve` processes on one PostgreSQL database under a steady stream of alert
webhooks (with duplicates sent to different replicas), slash commands and approval clicks;
the replica holding the outbox lease is killed with SIGKILL mid-stream. Nothing is lost,
nothing is done twice, the leases move to survivors and their /metrics say so."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from typing import Any, AsyncIterator

import pytest
from sqlalchemy import text

from engine.store.db import Database
from engine.store.migrate import head_revision
from tests.servers import create_pg_database, drop_pg_database

from replica_cluster import ALERT_CHANNELS, Cluster, am_body

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

GROUPS = 8  # incidents: db<g> plus api<g>, which depends on db<g>
WAVES = 14  # Alertmanager re-sends each group's firing alerts, one more alert per wave
WAVE_GAP_S = 0.5
KILL_AT_WAVE = 6
FLOWS = 6  # runbook requests, each approved by two people clicking at once on two replicas
LEASE_TTL_S = 10.0  # engine.core.scheduler.Scheduler default
TERMINAL = {"succeeded", "interrupted"}


@pytest.fixture
async def cluster(tmp_path) -> AsyncIterator[Cluster]:
    """A workspace and room for replicas on a fresh database; every process is stopped after."""
    url = create_pg_database()
    c = Cluster(tmp_path, url, groups=GROUPS)
    try:
        await c.start_workspace()
        yield c
    finally:
        await c.stop()
        drop_pg_database(url)


def keyed(c: Cluster) -> list[tuple[str, dict[str, Any]]]:
    """Return (channel, message) for every bot message carrying an outbox key, replies included."""
    assert c.ws is not None
    out = []
    for channel in c.ws.workspace.channels.values():
        for msg in channel.messages.values():
            if ((msg.get("metadata") or {}).get("event_payload") or {}).get("key"):
                out.append((channel.name, msg))
    return out


def key_of(msg: dict[str, Any]) -> str:
    """Return the outbox key a bot message carries."""
    return msg["metadata"]["event_payload"]["key"]


async def alert_stream(c: Cluster, wave_started: list[asyncio.Event], accepted: Counter) -> set[bytes]:
    """Send every wave; each body goes to two replicas, odd groups also get an HA twin."""
    bodies: set[bytes] = set()
    for w in range(WAVES):
        wave_started[w].set()
        names = [f"E{k}" for k in range(w + 1)]
        sends = []
        for g in range(GROUPS):
            for service in (f"db{g}", f"api{g}"):
                body = am_body(g, service, names)
                first, second, third = c.spread(3)
                sends += [c.deliver_alerts(body, first), c.deliver_alerts(body, second)]
                bodies.add(body)
                if g % 2:  # the other Alertmanager of an HA pair sends its own copy
                    twin = am_body(g, service, names, am="am-1")
                    sends.append(c.deliver_alerts(twin, third))
                    bodies.add(twin)
        for tries in await asyncio.gather(*sends):
            accepted["sent"] += 1
            accepted["retried"] += tries - 1
        await asyncio.sleep(WAVE_GAP_S)
    return bodies


async def approval_flow(c: Cluster, i: int, lost: list[str]) -> tuple[int, str]:
    """Request the runbook with a unique tag, wait for its message, and approve it twice at once."""
    assert c.ws is not None
    ws = c.ws
    for attempt in range(5):
        tag = f"flow-{i}-{attempt}"
        answer = await c.via(c.pick(), lambda tag=tag: ws.send_slash_command("alice", "ops", f"run append-line tag={tag}"))
        found = re.search(r"Approval requested \(#(\d+)\)", answer.text) if not answer.error else None
        if found:
            break
        lost.append(tag)  # the replica died under the command: alice types it again, new tag
        await asyncio.sleep(0.5)
    else:
        raise AssertionError(f"flow {i}: /ops run never answered")
    request_id = int(found.group(1))

    def message() -> dict[str, Any] | None:
        return next((m for m in ws.messages("ops")
                     if ((m.get("metadata") or {}).get("event_payload") or {}).get("key") == f"approval:{request_id}"),
                    None)

    msg = await ws.wait_for(message, timeout=45)  # may wait out an outbox failover

    async def click(user: str, replica: Any) -> None:
        for attempt in range(4):
            try:
                answer = await c.via(replica if attempt == 0 else c.pick(),
                                     lambda: ws.click(user, "ops", msg["ts"], "approval_approve"))
            except LookupError:
                return  # the message was already edited: no button left to click
            if not answer.error:
                return
            await asyncio.sleep(0.3)  # unanswered click (replica died): click again
        raise AssertionError(f"{user}'s click on #{request_id} never answered")

    bobs, carols = c.spread(2)
    await asyncio.gather(click("bob", bobs), click("carol", carols))
    return request_id, tag


async def watch_failover(c: Cluster, wave_started: list[asyncio.Event]) -> dict[str, Any]:
    """Kill -9 the outbox lease holder at a wave and time how long the lease takes to move."""
    await wave_started[KILL_AT_WAVE].wait()
    before = {r.name: await c.metrics(r) for r in c.alive}
    holders = [name for name, m in before.items()
               if m.get(("opsbot_lease_held", frozenset({("job", "outbox")}))) == 1.0]
    assert len(holders) == 1, f"outbox lease held by {holders} before the kill"
    victim = next(r for r in c.alive if r.name == holders[0])
    jobs = sorted(dict(labels)["job"] for (name, labels), v in before[victim.name].items()
                  if name == "opsbot_lease_held" and v == 1.0)
    acquired_before = {n: m.get(("opsbot_lease_changes_total",
                                 frozenset({("job", "outbox"), ("change", "acquired")})), 0.0)
                       for n, m in before.items() if n != victim.name}
    c.kill9(victim)
    killed_at = time.monotonic()
    while True:
        view = await c.lease_view("outbox")
        # Exactly one: on a loaded machine a survivor that took the lease and then missed a
        # renewal still reports it until its next tick, while the other survivor already holds it.
        if sum(held == 1.0 for held, _ in view.values()) == 1:
            break
        assert time.monotonic() - killed_at < LEASE_TTL_S + 15, f"outbox lease never moved to one survivor: {view}"
        await asyncio.sleep(0.2)
    return {"victim": victim.name, "jobs": jobs, "moved_after_s": time.monotonic() - killed_at,
            "view": view, "acquired_before": acquired_before}


async def settle(db: Database, request_ids: list[int], timeout: float = 60.0) -> None:
    """Wait until the outbox is empty and every approved request finished."""
    deadline = time.monotonic() + timeout
    while True:
        async with db.session() as s:
            pending = (await s.execute(text("SELECT count(*) FROM outbox_item WHERE state = 'pending'"))).scalar_one()
            open_runs = (await s.execute(text(
                "SELECT count(*) FROM approvals_request WHERE id = ANY(:ids) AND state NOT IN "
                "('succeeded', 'interrupted', 'failed', 'cancelled')"), {"ids": request_ids})).scalar_one()
        if pending == 0 and open_runs == 0:
            return
        assert time.monotonic() < deadline, f"not settled: {pending} notices pending, {open_runs} runs open"
        await asyncio.sleep(0.5)


async def test_kill9_of_the_outbox_holder_loses_nothing_and_doubles_nothing(cluster):
    c = cluster
    # `opsbot migrate` races the three replicas' own start-up migrations: the advisory lock serializes them.
    migrate = c.migrate_process()
    for name in ("r1", "r2", "r3"):
        c.spawn(name)
    await c.wait_ready()
    out, _ = await asyncio.to_thread(migrate.communicate, timeout=60)
    assert migrate.returncode == 0, out.decode()
    db = Database(c.db_url)
    try:
        async with db.session() as s:
            assert (await s.execute(text("SELECT version_num FROM alembic_version"))).scalars().all() == [head_revision()]
        while not any(held == 1.0 for held, _ in (await c.lease_view("outbox")).values()):
            await asyncio.sleep(0.2)

        waves = [asyncio.Event() for _ in range(WAVES)]
        accepted: Counter = Counter()
        lost_tags: list[str] = []
        stream = asyncio.create_task(alert_stream(c, waves, accepted))
        failover = asyncio.create_task(watch_failover(c, waves))
        flows = []
        for i in range(FLOWS):
            flows.append(asyncio.create_task(approval_flow(c, i, lost_tags)))
            await asyncio.sleep(1.0)
        bodies = await stream
        moved = await failover
        requested = await asyncio.gather(*flows)
        await settle(db, [rid for rid, _ in requested])
        print(f"killed {moved['victim']} (held {moved['jobs']}); outbox lease moved after "
              f"{moved['moved_after_s']:.1f} s to {moved['view']}; alert posts {dict(accepted)}; "
              f"lost /ops answers {lost_tags}")
        await assert_failover(c, moved)
        await assert_alerts(c, db, bodies)
        await assert_runs(c, db, requested, lost_tags)
        await assert_messages(c, db)
    except BaseException:
        for r in c.replicas:
            print(f"---- {r.name} log ----\n{r.log_tail()}")
        raise
    finally:
        await db.dispose()


async def assert_failover(c: Cluster, moved: dict[str, Any]) -> None:
    """The outbox lease (and every lease the victim held) is on exactly one survivor."""
    assert moved["moved_after_s"] <= LEASE_TTL_S + 5, moved
    view = moved["view"]
    new = [n for n, (held, _) in view.items() if held == 1.0]
    assert len(new) == 1, view
    assert view[new[0]][1] == moved["acquired_before"][new[0]] + 1, (view, moved["acquired_before"])
    for job in moved["jobs"]:  # alerts-tick, approvals-*, models-watch...: each moved too
        jv = await c.lease_view(job)
        assert sum(held == 1.0 for held, _ in jv.values()) == 1, (job, jv)


async def assert_alerts(c: Cluster, db: Database, bodies: set[bytes]) -> None:
    """Every alert stored once, every distinct body once, one incident per dependency group."""
    async with db.session() as s:
        rows = (await s.execute(text("SELECT alertname, labels, incident_id FROM alerts_alert"))).all()
        batches = (await s.execute(text(
            "SELECT count(*), count(processed_at), sum(deliveries) FROM alerts_batch"))).one()
        incidents = (await s.execute(text("SELECT id, channel, posted FROM alerts_incident"))).all()
    rows = [(name, json.loads(labels) if isinstance(labels, str) else labels, incident)
            for name, labels, incident in rows]
    pairs = Counter((name, labels["service"]) for name, labels, _ in rows)
    expected = {(f"E{k}", f"{kind}{g}") for k in range(WAVES) for g in range(GROUPS) for kind in ("db", "api")}
    assert set(pairs) == expected and max(pairs.values()) == 1
    assert batches[0] == len(bodies) and batches[1] == len(bodies)  # all processed, none pending
    assert batches[2] >= len(bodies)
    by_group: dict[int, set[int]] = {}
    for _, labels, incident in rows:
        by_group.setdefault(int(labels["service"][-1]), set()).add(incident)
    assert all(len(ids) == 1 for ids in by_group.values()), by_group  # no group split by a race
    assert len(incidents) == GROUPS and all(posted for _, _, posted in incidents)
    channel_of = {incident: ALERT_CHANNELS[g % len(ALERT_CHANNELS)] for g, (incident,) in by_group.items()}
    top = Counter((ch, key_of(m)) for ch, m in keyed(c) if m.get("thread_ts", m["ts"]) == m["ts"])
    for incident_id, channel, _ in incidents:
        assert top[(channel_of[incident_id], f"incident:{incident_id}")] == 1, incident_id
        assert channel == channel_of[incident_id]


async def assert_runs(c: Cluster, db: Database, requested: list[tuple[int, str]], lost: list[str]) -> None:
    """Each approved request ran at most once, and exactly once unless its replica died mid-run."""
    assert c.effects is not None
    lines = Counter(c.effects.read_text().split())
    async with db.session() as s:
        states = dict((await s.execute(text("SELECT id, state FROM approvals_request"))).all())
        started = Counter(int(subject.split(":")[1]) for (subject,) in (await s.execute(text(
            "SELECT subject FROM audit_event WHERE action = 'run.started'"))).all())
    assert max(lines.values(), default=0) == 1, lines  # no tag executed twice
    assert max(started.values(), default=0) == 1, started  # no request claimed twice
    for request_id, tag in requested:
        assert states[request_id] in TERMINAL, (request_id, states[request_id])
        if states[request_id] == "succeeded":
            assert lines[tag] == 1, (request_id, tag)
    interrupted = [rid for rid, _ in requested if states[rid] == "interrupted"]
    assert len(interrupted) <= 1, interrupted  # only a run on the killed replica may be cut off
    assert set(lines) <= {tag for _, tag in requested} | set(lost)
    for tag in lost:  # requests whose answer was lost were never approved, so never ran
        assert lines[tag] == 0


async def assert_messages(c: Cluster, db: Database) -> None:
    """Every notice the outbox sent appears exactly once in the workspace; none is left over."""
    async with db.session() as s:
        states = dict((await s.execute(text("SELECT state, count(*) FROM outbox_item GROUP BY state"))).all())
        sent = {k for (k,) in (await s.execute(text("SELECT DISTINCT key FROM outbox_item WHERE state = 'sent'"))).all()}
    assert set(states) <= {"sent", "superseded"}, states
    seen = Counter(key_of(m) for _, m in keyed(c))
    assert max(seen.values()) == 1, [k for k, n in seen.items() if n > 1]
    assert set(seen) == sent
