"""`opsbot serve` as a user starts it, beside an in-process local workspace, for attack tests.

The bot is its own process, configured only through its environment and `opsbot.yaml`, so a
test sees exactly the doors a deployment has: nothing is handed in, nothing is patched.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.workspace import BotAnswer, RunningWorkspace, WorkspaceConfig, sign, start_workspace
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

# A production-like config: one role, every runbook needs one approval by another person.
DEFAULT_CONFIG = """\
environment: production
channels: {default: ops, approvals: ops, incidents: incidents}
policy:
  roles:
    sre: {users: [U0ALICE, U0BOB, U0CAROL]}
  rules:
    - action: "runbook:*"
      roles: [sre]
      effect: approval
      approval: {approver_roles: [sre], approvals: 1}
runbooks:
  dirs: [runbooks]
alerts:
  default_channel: incidents
"""


def bot_env(db_url: str, config: Path, ws: RunningWorkspace | None, **extra: str) -> dict[str, str]:
    """Return a clean environment for an `opsbot` process: only what a deployment would set."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPSBOT_", "SLACK_", "MLFLOW_", "SEC_"))}
    env.update(OPSBOT_DATABASE_URL=db_url, OPSBOT_CONFIG=str(config), OPSBOT_LOG_LEVEL="INFO",
               PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT))
    if ws is not None:
        cfg = ws.workspace.config
        env.update(SLACK_SIGNING_SECRET=cfg.signing_secret, SLACK_BOT_TOKEN=cfg.bot_token,
                   SLACK_API_URL=ws.api_url)
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def run_cli(env: dict[str, str], *argv: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run `opsbot ARGV...` (as `python -m bot.main`) with this environment."""
    return subprocess.run([PYTHON, "-m", "bot.main", *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


@dataclass
class ServedBot:
    """One running `opsbot serve` process and the workspace that plays Slack for it."""

    tmp: Path
    db_url: str
    ws: RunningWorkspace
    env: dict[str, str]
    port: int = 0
    proc: subprocess.Popen | None = None
    session: aiohttp.ClientSession | None = None
    log: Path = field(default=Path("/dev/null"))

    @property
    def url(self) -> str:
        """Return the bot's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def secret(self) -> str:
        """Return the signing secret the bot was started with."""
        return self.env["SLACK_SIGNING_SECRET"]

    def log_tail(self, n: int = 4000) -> str:
        """Return the end of the bot's log, for failure messages."""
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def alive(self) -> bool:
        """Tell whether the process is still running."""
        return self.proc is not None and self.proc.poll() is None

    async def start(self, timeout: float = 90.0) -> None:
        """Start `opsbot serve` and wait until /readyz answers 200."""
        self.port = free_port()
        self.log = self.tmp / f"serve-{self.port}.log"
        self.proc = subprocess.Popen([PYTHON, "-m", "bot.main", "serve", "--host", "127.0.0.1",
                                      "--port", str(self.port)], cwd=ROOT, env=self.env,
                                     stdout=open(self.log, "wb"), stderr=subprocess.STDOUT)
        self.session = self.session or aiohttp.ClientSession()
        self.ws.set_request_url(f"{self.url}/slack/events")
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"opsbot serve exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                async with self.session.get(f"{self.url}/readyz", timeout=aiohttp.ClientTimeout(total=2)) as r:
                    if r.status == 200:
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"opsbot serve not ready after {timeout}s:\n{self.log_tail()}")
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL) and close the HTTP session."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.session is not None:
            await self.session.close()
            self.session = None

    def signed_headers(self, body: bytes, *, timestamp: str | None = None, secret: str | None = None,
                       content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
        """Return the headers Slack would send with this raw body."""
        ts = timestamp if timestamp is not None else str(int(time.time()))
        return {"X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": sign(secret if secret is not None else self.secret, ts, body),
                "Content-Type": content_type}

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """POST raw bytes to the bot; return (status, body text)."""
        assert self.session is not None
        async with self.session.post(self.url + path, data=body, headers=headers,
                                     timeout=aiohttp.ClientTimeout(total=20)) as resp:
            return resp.status, await resp.text()

    async def post_slack(self, body: bytes, *, content_type: str = "application/x-www-form-urlencoded",
                         headers: dict[str, str] | None = None) -> tuple[int, str]:
        """POST a body to /slack/events signed as Slack signs it (or with the headers given)."""
        return await self.post("/slack/events", body,
                               headers if headers is not None else self.signed_headers(body, content_type=content_type))

    async def post_interaction(self, payload: Any) -> tuple[int, str]:
        """POST an interaction (`payload=` JSON), signed."""
        raw = payload if isinstance(payload, str) else json.dumps(payload)
        return await self.post_slack(urlencode({"payload": raw}).encode())

    async def command(self, user: str, text: str, channel: str = "C0OPS") -> BotAnswer:
        """Send `/ops TEXT` as a workspace user, exactly as Slack would."""
        return await self.ws.send_slash_command(user, channel, text)

    def slash_form(self, user: str, text: str, channel: str = "C0OPS") -> bytes:
        """Return the raw form body the workspace would send for `/ops TEXT` (a live response_url)."""
        from bot.workspace import payloads
        from bot.workspace.tokens import ResponseTarget

        ws, it = self.ws.workspace, self.ws.interactions
        person, chan = ws.require_user(user), ws.require_channel(channel)
        url = it._response_url(ResponseTarget(chan.id, person.id))  # noqa: SLF001 - as the workspace does
        trigger = ws.tokens.issue_trigger(person.id, ws.now())
        return urlencode(payloads.slash_form(ws, person, chan, text, url, trigger)).encode()

    def cli(self, *argv: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run an `opsbot` subcommand with the bot's own environment."""
        return run_cli(self.env, *argv, timeout=timeout)


async def start_served(tmp: Path, db_url: str, config: str = DEFAULT_CONFIG,
                       runbooks: dict[str, str] | None = None, ws: RunningWorkspace | None = None,
                       **env: str) -> ServedBot:
    """Start one more `opsbot serve` (e.g. a second replica on the same database and workspace)."""
    ws = ws or await new_workspace()
    bot = ServedBot(tmp, db_url, ws, bot_env(db_url, write_config(tmp, config, runbooks), ws, **env))
    await bot.start()
    return bot


async def new_workspace() -> RunningWorkspace:
    """Start a workspace with a fresh random secret and no rate limit of its own."""
    return await start_workspace(WorkspaceConfig(
        signing_secret=secrets.token_hex(16), bot_token="xoxb-local-" + secrets.token_hex(8),
        rate_per_second=0, request_timeout=10.0))


def write_config(tmp: Path, config: str = DEFAULT_CONFIG, runbooks: dict[str, str] | None = None) -> Path:
    """Write opsbot.yaml (and runbooks/NAME.yaml files) under tmp; return the config path."""
    (tmp / "runbooks").mkdir(exist_ok=True)
    for name, text in (runbooks or {}).items():
        (tmp / "runbooks" / f"{name}.yaml").write_text(text)
    path = tmp / "opsbot.yaml"
    path.write_text(config)
    return path


async def click_with_value(bot: ServedBot, user: str, channel: str, message_ts: str, action_id: str,
                           value: str) -> tuple[int, str]:
    """Click a message's button as `user`, sending `value` instead of the button's own (a forged click)."""
    from bot.workspace import payloads
    from bot.workspace.tokens import ResponseTarget

    ws, inter = bot.ws.workspace, bot.ws.interactions
    person, chan = ws.require_user(user), ws.require_channel(channel)
    msg = ws.find(chan, message_ts)
    if msg is None:
        raise LookupError(f"no message {message_ts} in #{chan.name}")
    block, el = payloads.find_element(msg.get("blocks"), action_id)
    action = payloads.action_entry(ws, block, el, None) | {"value": value}
    target = ResponseTarget(chan.id, person.id, msg["ts"], False)
    body = payloads.block_actions(ws, person, chan, msg, False, action,
                                  ws.tokens.issue_trigger(person.id, ws.now()), inter._response_url(target))
    return await bot.post_interaction(body)
