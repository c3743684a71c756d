"""One configured OPSBOT_REPLICA_ID on two processes (a copied manifest; `serve --workers 2`):
each process owns leases under its own identity, so exactly one holds each job, and the
shared name is logged loudly and fails `opsbot check`."""

from __future__ import annotations

import asyncio
import subprocess
import time

import pytest
from pydantic import SecretStr

from bot.check import run_checks
from bot.settings import BotSettings
from engine.settings import EngineSettings
from tests.integration.replicas.replica_cluster import PYTHON, ROOT, Cluster, Replica, free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

JOBS = ("outbox", "alerts-tick")
LOUD = "IS USED BY ANOTHER LIVE PROCESS"


def _spawn(cluster: Cluster, name: str, tag: str) -> Replica:
    """Start `opsbot serve` with OPSBOT_REPLICA_ID=name (its log named by tag)."""
    port, log = free_port(), cluster.tmp / f"{tag}.log"
    proc = subprocess.Popen([PYTHON, "-m", "bot.main", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, env=cluster.env(name), stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    replica = Replica(tag, port, proc, log)
    cluster.replicas.append(replica)
    cluster.alive.append(replica)
    return replica


async def _one_holder_each(views) -> dict[str, float]:  # noqa: ANN001 - async callable per job
    return {job: sum(held for held, _ in (await views(job)).values()) for job in JOBS}


async def _settle(views, seconds: float = 30.0) -> dict[str, float]:  # noqa: ANN001 - a callable of the test
    deadline = time.monotonic() + seconds
    while True:
        held = await _one_holder_each(views)
        if all(v == 1 for v in held.values()) or time.monotonic() > deadline:
            return held
        await asyncio.sleep(0.5)


async def test_two_replicas_with_one_configured_id_hold_each_lease_once(tmp_path, pg_url):
    cluster = Cluster(tmp_path, pg_url)
    await cluster.start_workspace()
    try:
        a, b = _spawn(cluster, "dup", "dup-a"), _spawn(cluster, "dup", "dup-b")
        await cluster.wait_ready()
        assert await _settle(cluster.lease_view) == {job: 1 for job in JOBS}
        await asyncio.sleep(2.5)  # a few more ticks: still one holder, no flapping
        assert await _one_holder_each(cluster.lease_view) == {job: 1 for job in JOBS}
        lines: list[str] = []
        cfg = cluster.ws.workspace.config
        await run_checks(BotSettings(SLACK_BOT_TOKEN=SecretStr(cfg.bot_token), SLACK_API_URL=cluster.ws.api_url),
                         EngineSettings(OPSBOT_DATABASE_URL=pg_url, OPSBOT_CONFIG=cluster.config_path),
                         out=lines.append)
        check = next(line for line in lines if line.split()[1] == "replicas")
        assert check.startswith("FAIL") and "'dup'" in check and "dup#" in check, lines
        deadline = time.monotonic() + 15  # the first process sees the second at its next beat
        while not (LOUD in a.log_tail(20000) and LOUD in b.log_tail(20000)):
            assert time.monotonic() < deadline, a.log_tail() + b.log_tail()
            await asyncio.sleep(0.5)
    finally:
        await cluster.stop()


async def test_serve_workers_with_a_configured_id_hold_each_lease_once(tmp_path, pg_url):
    cluster = Cluster(tmp_path, pg_url)
    await cluster.start_workspace()
    port = free_port()
    env = cluster.env("dup")
    log = tmp_path / "workers.log"
    proc = subprocess.Popen([PYTHON, "-m", "bot.main", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", "2"], cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    server = Replica("workers", port, proc, log)
    cluster.replicas.append(server)
    cluster.alive.append(server)
    try:
        await cluster.wait_ready()

        async def totals(job: str) -> dict[str, tuple[float, float]]:
            # Any worker's /metrics sums the gauge over live workers (livesum): one holder = 1.
            return await cluster.lease_view(job)
        assert await _settle(totals) == {job: 1 for job in JOBS}, log.read_text(errors="replace")[-3000:]
        deadline = time.monotonic() + 30
        while True:  # the second worker may announce itself a moment after the first answers
            lines: list[str] = []
            await run_checks(BotSettings(SLACK_BOT_TOKEN=SecretStr(cluster.ws.workspace.config.bot_token),
                                         SLACK_API_URL=cluster.ws.api_url),
                             EngineSettings(OPSBOT_DATABASE_URL=pg_url, OPSBOT_CONFIG=cluster.config_path),
                             out=lines.append)
            check = next(line for line in lines if line.split()[1] == "replicas")
            if "2 live" in check or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        # The workers of one server are told apart by index, so they are not a clash.
        assert check.startswith("ok") and "dup/w0#" in check and "dup/w1#" in check, lines
        assert LOUD not in log.read_text(errors="replace")
    finally:
        await cluster.stop()

