"""`opsbot serve --workers 2` on one SQLite file and on PostgreSQL: concurrent and duplicate
webhooks across both processes, nothing lost, nothing processed twice, one message per incident."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from engine.alerts.tables import AlertBatch, AlertRow, DecisionRow, IncidentRow
from engine.core.outbox_tables import OutboxItem
from engine.store.db import Database
from tests.integration.alerts.test_pump import body
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "workers-test-token"


async def _wait_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                async with http.get(f"{url}/readyz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("workers did not come up:\n" + log.read_text(errors="replace")[-3000:])


async def _pending(db: Database) -> int:
    async with db.session() as s:
        return (await s.execute(select(func.count()).select_from(AlertBatch).where(
            AlertBatch.processed_at.is_(None)))).scalar_one()


@pytest.mark.slow
async def test_two_workers_share_the_port_and_process_every_batch_once(store_url, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPSBOT_", "SLACK_"))}
    env.update(OPSBOT_DATABASE_URL=store_url, OPSBOT_WEBHOOK_TOKEN=TOKEN, SLACK_BOT_TOKEN="xoxb-test",
               SLACK_SIGNING_SECRET="test-secret", SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/",
               PYTHONUNBUFFERED="1")
    log = tmp_path / "serve.log"
    proc = subprocess.Popen([str(ROOT / ".venv/bin/python"), "-m", "bot.main", "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--workers", "2"], cwd=ROOT, env=env,
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    db = Database(store_url)
    try:
        await _wait_up(url, proc, log)
        bodies = [body(f"svc-{i}", ["HighLatency", "HighErrorRate", "Down"]) for i in range(30)]
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        replicas = set()
        # A new connection per request, so the kernel spreads them over both workers.
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
            # The second worker may still be starting when the first answers: wait for both.
            seen_by = time.monotonic() + 30
            while len(replicas) < 2 and time.monotonic() < seen_by:
                try:
                    async with http.get(f"{url}/readyz") as r:
                        if r.status == 200:
                            replicas.add((await r.json())["replica"])
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)

            async def post(x: bytes) -> dict:
                async with http.post(f"{url}/webhooks/alertmanager", data=x, headers=headers) as r:
                    assert r.status == 200, await r.text()
                    return await r.json()

            # Every body twice at once (Alertmanager's retry racing the original, HA twins).
            answers = await asyncio.gather(*[post(x) for x in bodies for _ in range(2)])
            # Whichever worker answers a scrape reports the whole server, not its own share.
            scraped = set()
            for _ in range(8):
                async with http.get(f"{url}/metrics") as r:
                    scraped.add(_sample(await r.text(), 'opsbot_webhook_requests_total{source="alertmanager"}'))
            assert scraped == {60.0}
        assert len(replicas) == 2  # both workers answered
        assert all(a["queued"] for a in answers)
        assert sum(not a["duplicate"] for a in answers) == len(bodies)
        deadline = time.monotonic() + 30
        while await _pending(db) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        async with db.session() as s:
            n, deliveries = (await s.execute(select(func.count(), func.sum(AlertBatch.deliveries)).where(
                AlertBatch.processed_at.is_not(None)))).one()
            alerts = (await s.execute(select(func.count()).select_from(AlertRow))).scalar_one()
            # One grouping decision per processed firing alert (a first firing's dedup row is not stored).
            new = (await s.execute(select(func.count(), func.count(func.distinct(DecisionRow.fingerprint)))
                                   .where(DecisionRow.stage.in_(("group", "inhibit"))))).one()
            incidents = (await s.execute(select(func.count()).select_from(IncidentRow))).scalar_one()
            posts = (await s.execute(select(func.count(func.distinct(OutboxItem.key))).where(
                OutboxItem.thread_key.is_(None)))).scalar_one()
        assert (n, deliveries) == (30, 60)  # every body stored once, every delivery counted
        assert alerts == 90 and tuple(new) == (90, 90)  # each alert processed exactly once
        assert incidents == posts > 0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        await db.dispose()
    assert code == 0, log.read_text(errors="replace")[-3000:]


def _sample(exposition: str, series: str) -> float | None:
    """Return the value of one series in a Prometheus text exposition, or None."""
    for line in exposition.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return None
