"""Several `opsbot serve` processes on one PostgreSQL database beside an in-process local
workspace: the failover test and the replica benchmark both drive the bot through this."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.workspace import BotAnswer, RunningWorkspace, SeedChannel, WorkspaceConfig, start_workspace
from bot.workspace.config import default_channels

ROOT = Path(__file__).resolve().parents[3]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
ALERT_CHANNELS = [f"alerts-{i}" for i in range(4)]
RUNBOOK = "append-line"

CONFIG = """\
environment: production
channels: {{default: ops, approvals: ops, incidents: incidents}}
policy:
  roles:
    sre: {{users: [U0ALICE, U0BOB, U0CAROL]}}
  rules:
    - action: "runbook:*"
      roles: [sre]
      effect: approval
      approval: {{approver_roles: [sre], approvals: 1}}
runbooks:
  dirs: [runbooks]
  lease_seconds: {run_lease_s}
  expire_job_seconds: 5
alerts:
  default_channel: incidents
  tick_interval_s: 2
  depends_on: {depends_on}
  routes: {routes}
"""

# The command step is the runbook's only side effect: one line per execution, so a test can
# count executions from the file alone.
RUNBOOK_YAML = """\
name: append-line
description: Append a tag to the side-effect file (one line per execution).
environment: production
parameters:
  tag: {{type: string, pattern: "^[a-z0-9-]{{1,40}}$"}}
steps:
  - name: append
    type: command
    argv: ["/bin/sh", "-c", "echo \\"$1\\" >> {path}", "sh", "${{tag}}"]
"""


def write_config(tmp: Path, groups: int, *, run_lease_s: float = 4.0) -> tuple[Path, Path]:
    """Write opsbot.yaml and the runbook; return (config path, side-effect file)."""
    effects = tmp / "side-effects.txt"
    effects.touch()
    (tmp / "runbooks").mkdir(exist_ok=True)
    (tmp / "runbooks" / "append-line.yaml").write_text(RUNBOOK_YAML.format(path=effects))
    depends = {f"api{g}": [f"db{g}"] for g in range(groups)}
    routes = [{"match": {"team": f"t{i}"}, "channel": ch} for i, ch in enumerate(ALERT_CHANNELS)]
    path = tmp / "opsbot.yaml"
    path.write_text(CONFIG.format(run_lease_s=run_lease_s, depends_on=json.dumps(depends),
                                  routes=json.dumps(routes)))
    return path, effects


def am_body(group: int, service: str, alertnames: list[str], *, am: str = "am-0") -> bytes:
    """Return an Alertmanager v4 notification for one service's group with these alerts firing."""
    team = f"t{group % len(ALERT_CHANNELS)}"
    alerts = [{"status": "firing", "labels": {"alertname": n, "service": service, "team": team,
                                              "severity": "warning"},
               # Groups an hour apart: the same alerts starting at one instant on services the graph
               # keeps apart are one cause to the grouping model (docs/grouping.md).
               "annotations": {"summary": f"{n} on {service}"}, "startsAt": f"2026-11-27T{group % 24:02d}:00:00Z",
               "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "", "fingerprint": f"{n}-{service}"}
              for n in alertnames]
    return json.dumps({"receiver": "opsbot", "status": "firing", "alerts": alerts,
                       "groupLabels": {"service": service}, "commonLabels": {"service": service},
                       "commonAnnotations": {}, "externalURL": f"http://{am}:9093", "version": "4",
                       "groupKey": f'{{}}:{{service="{service}"}}', "truncatedAlerts": 0}).encode()


@dataclass
class Replica:
    """One `opsbot serve` process."""

    name: str
    port: int
    proc: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        """Return the base URL."""
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, n: int = 3000) -> str:
        """Return the end of the process log, for failure messages."""
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    """A local workspace plus N `opsbot serve` processes sharing one database."""

    tmp: Path
    db_url: str
    groups: int = 8
    log_level: str = "WARNING"
    replicas: list[Replica] = field(default_factory=list)
    alive: list[Replica] = field(default_factory=list)
    ws: RunningWorkspace | None = None
    webhook_token: str = field(default_factory=lambda: secrets.token_hex(12))
    session: aiohttp.ClientSession | None = None
    config_path: Path | None = None
    effects: Path | None = None
    _turn: int = 0

    async def start_workspace(self) -> None:
        """Start the workspace with the alert channels and no rate limit of its own."""
        channels = default_channels() + [SeedChannel(f"C0AL{i}", ch) for i, ch in enumerate(ALERT_CHANNELS)]
        # The bot paces itself at about 1/s per channel; the workspace's own 429s are turned
        # off so a slow CI machine cannot turn a timing wobble into a test failure.
        self.ws = await start_workspace(WorkspaceConfig(
            signing_secret=secrets.token_hex(16), bot_token="xoxb-local-" + secrets.token_hex(8),
            channels=channels, rate_per_second=0, request_timeout=10.0))  # 3 s is Slack's; CI shares 2 cores
        self.config_path, self.effects = write_config(self.tmp, self.groups)
        self.session = aiohttp.ClientSession()

    def env(self, name: str | None = None) -> dict[str, str]:
        """Return the environment of a replica (or of `opsbot migrate` when name is None)."""
        assert self.ws is not None and self.config_path is not None
        cfg = self.ws.workspace.config
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPSBOT_", "SLACK_"))}
        env.update(SLACK_SIGNING_SECRET=cfg.signing_secret, SLACK_BOT_TOKEN=cfg.bot_token,
                   SLACK_API_URL=self.ws.api_url, OPSBOT_DATABASE_URL=self.db_url,
                   OPSBOT_CONFIG=str(self.config_path), OPSBOT_WEBHOOK_TOKEN=self.webhook_token,
                   OPSBOT_LOG_LEVEL=self.log_level, PYTHONUNBUFFERED="1")
        if name:
            env["OPSBOT_REPLICA_ID"] = name
        return env

    def spawn(self, name: str) -> Replica:
        """Start one `opsbot serve` process (it migrates on start, under the advisory lock)."""
        port = free_port()
        log = self.tmp / f"{name}.log"
        proc = subprocess.Popen([PYTHON, "-m", "bot.main", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                cwd=ROOT, env=self.env(name), stdout=open(log, "wb"), stderr=subprocess.STDOUT)
        replica = Replica(name, port, proc, log)
        self.replicas.append(replica)
        self.alive.append(replica)
        return replica

    def migrate_process(self) -> subprocess.Popen:
        """Start `opsbot migrate` (races the replicas' own start-up migrations)."""
        return subprocess.Popen([PYTHON, "-m", "bot.main", "migrate"], cwd=ROOT, env=self.env(),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    async def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until every live replica answers /readyz."""
        assert self.session is not None
        deadline = time.monotonic() + timeout
        pending = list(self.alive)
        while pending:
            for r in list(pending):
                if r.proc.poll() is not None:
                    raise RuntimeError(f"{r.name} exited with {r.proc.returncode}:\n{r.log_tail()}")
                try:
                    async with self.session.get(f"{r.url}/readyz", timeout=aiohttp.ClientTimeout(total=2)) as resp:
                        if resp.status == 200:
                            pending.remove(r)
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {timeout}s: {[r.name for r in pending]}\n"
                                   + "\n".join(r.log_tail() for r in pending))
            await asyncio.sleep(0.2)

    def pick(self) -> Replica:
        """Return the next live replica, round-robin (what a load balancer would do)."""
        return self.spread(1)[0]

    def spread(self, k: int) -> list[Replica]:
        """Return k replicas from the rotation, all different while enough are alive."""
        self._turn += 1
        return [self.alive[(self._turn + i) % len(self.alive)] for i in range(k)]

    def kill9(self, replica: Replica) -> None:
        """SIGKILL a replica: no shutdown code runs, its leases just stop being renewed."""
        os.kill(replica.proc.pid, signal.SIGKILL)
        replica.proc.wait(timeout=10)
        if replica in self.alive:
            self.alive.remove(replica)

    async def post_alerts(self, replica: Replica, body: bytes) -> int:
        """POST an Alertmanager body to one replica; return the status (0 when unreachable)."""
        assert self.session is not None
        headers = {"Authorization": f"Bearer {self.webhook_token}", "Content-Type": "application/json"}
        try:
            async with self.session.post(f"{replica.url}/webhooks/alertmanager", data=body, headers=headers,
                                         timeout=aiohttp.ClientTimeout(total=15)) as resp:
                await resp.read()
                return resp.status
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return 0

    async def deliver_alerts(self, body: bytes, first: Replica, attempts: int = 6) -> int:
        """Send like Alertmanager: retry on another live replica until a 2xx; return tries used."""
        target = first
        for attempt in range(1, attempts + 1):
            if await self.post_alerts(target, body) == 200:
                return attempt
            await asyncio.sleep(0.3)
            target = self.pick()
        raise AssertionError(f"alert batch refused {attempts} times")

    async def via(self, replica: Replica, act: Callable[[], Awaitable[BotAnswer]]) -> BotAnswer:
        """Send one workspace action (slash command or click) to `replica`.

        The workspace reads its request URL synchronously before its first await, so setting it
        right before starting the call routes this call even while others are in flight.
        """
        assert self.ws is not None
        self.ws.set_request_url(f"{replica.url}/slack/events")
        return await act()

    async def metrics(self, replica: Replica) -> dict[tuple[str, frozenset], float]:
        """Scrape a replica's /metrics into {(sample name, labels): value}."""
        assert self.session is not None
        async with self.session.get(f"{replica.url}/metrics", timeout=aiohttp.ClientTimeout(total=5)) as resp:
            text = await resp.text()
        out: dict[tuple[str, frozenset], float] = {}
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                out[(s.name, frozenset(s.labels.items()))] = s.value
        return out

    async def lease_view(self, job: str) -> dict[str, tuple[float, float]]:
        """Return {replica: (opsbot_lease_held, acquired count)} for a job, over live replicas."""
        out = {}
        for r in list(self.alive):
            m = await self.metrics(r)
            held = m.get(("opsbot_lease_held", frozenset({("job", job)})), 0.0)
            acquired = m.get(("opsbot_lease_changes_total",
                              frozenset({("job", job), ("change", "acquired")})), 0.0)
            out[r.name] = (held, acquired)
        return out

    async def stop(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL), the workspace and the HTTP session."""
        for r in self.replicas:
            if r.proc.poll() is None:
                r.proc.terminate()
        for r in self.replicas:
            try:
                r.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                r.proc.kill()
                r.proc.wait(timeout=5)
        if self.session is not None:
            await self.session.close()
        if self.ws is not None:
            await self.ws.stop()

