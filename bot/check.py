"""`opsbot check`: validate the config and probe every configured dependency."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

import aiohttp

from bot.settings import BotSettings
from engine.config import OpsbotConfig, load_config
from engine.errors import OpsError
from engine.settings import EngineSettings
from engine.store.db import Database
from engine.store.migrate import current_revision, head_revision

Probe = Callable[[], Awaitable[str]]
TIMEOUT = aiohttp.ClientTimeout(total=5)


async def _http_ok(url: str, what: str) -> str:
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http, http.get(url) as resp:
            if resp.status >= 400:
                raise OpsError(f"{what} at {url} answered HTTP {resp.status}")
            return f"{url} answered {resp.status}"
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise OpsError(f"{what} at {url} is not reachable: {exc!r}") from exc


async def _local_store(uri: str) -> str:
    from pathlib import Path

    from sqlalchemy.engine import make_url

    if uri.startswith("sqlite:"):
        path = Path(make_url(uri).database or "")
        if not path.exists():
            raise OpsError(f"MLflow store {uri} does not exist")
        return f"local store {uri} exists"
    return f"local store {uri} (not probed)"


async def _oncall_probe(config: OpsbotConfig) -> str:
    """Read and parse every on-call calendar, as the first card would."""
    from pathlib import Path

    from engine.core.clock import SystemClock
    from engine.oncall.service import check_schedules

    base_dir = Path(getattr(config, "_base_dir", None) or Path.cwd())
    problems = await asyncio.to_thread(check_schedules, config.oncall, base_dir, SystemClock().now())
    if problems:
        raise OpsError("; ".join(problems))
    return f"{len(config.oncall.schedules)} schedule(s) readable"


async def _owners_probe(config: OpsbotConfig, bot: BotSettings) -> str:
    """Look every owning user group up in Slack, so a typo fails here and not when an incident pages."""
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.listeners.admin import SlackUsergroups

    if (missing := bot.missing_credential()) is not None:
        raise OpsError(f"cannot look up owners' user groups: {missing}")
    directory = SlackUsergroups(AsyncWebClient(token=bot.slack_bot_token.get_secret_value(),
                                               base_url=bot.api_base_url, timeout=5))
    bad = []
    groups = {o.usergroup: o.team for o in config.alerts.owners if o.usergroup}
    for group, team in groups.items():
        try:
            await directory.usergroup_members(group)
        except OpsError as exc:
            bad.append(f"user group {group} of team {team} is unknown to Slack ({exc.message})")
    if bad:
        raise OpsError("; ".join(bad) + " (use the group's id, S..., from its Slack profile)")
    return f"{len(groups)} owning user group(s) exist"


async def run_checks(bot: BotSettings | None = None, eng: EngineSettings | None = None,
                     out: Callable[[str], None] = print) -> int:
    """Print one line per check; return 0 when all pass, 1 otherwise."""
    bot = bot or BotSettings()
    eng = eng or EngineSettings()
    failures = 0
    checks: list[tuple[str, Probe]] = []

    async def config_probe() -> str:
        cfg = load_config(eng.config_path)
        return f"{eng.config_path or '(no OPSBOT_CONFIG: defaults)'} is valid ({cfg.environment})"

    async def db_probe() -> str:
        db = Database(eng.database_url)
        try:
            await db.ping()
            rev, head = await current_revision(db), head_revision()
            state = "at head" if rev == head else f"at {rev}, head is {head}: run `opsbot migrate`"
            return f"{db.safe_url} reachable, schema {state}"
        finally:
            await db.dispose()

    async def replicas_probe() -> str:
        from engine.core.clock import SystemClock
        from engine.core.replicas import live_replicas, shared_names

        db = Database(eng.database_url)
        try:
            live = await live_replicas(db, SystemClock().now())
        finally:
            await db.dispose()
        shared = shared_names(live)
        if shared:
            raise OpsError("replica id used by more than one live process: " + "; ".join(
                f"{name!r} by {', '.join(ids)}" for name, ids in sorted(shared.items()))
                + " (give each replica its own OPSBOT_REPLICA_ID)")
        return f"{len(live)} live: " + (", ".join(r.identity for r in live) or "none running")

    async def slack_probe() -> str:
        from slack_sdk.web.async_client import AsyncWebClient

        token = bot.slack_bot_token.get_secret_value()
        if (missing := bot.missing_credential()) is not None:
            raise OpsError(missing)
        resp = await AsyncWebClient(token=token, base_url=bot.api_base_url, timeout=5).auth_test()
        return f"auth.test ok: bot {resp.get('user')} in team {resp.get('team')} via {bot.api_base_url}"

    async def runbooks_probe() -> str:
        from engine.runbooks.wiring import check_runbooks

        registry = check_runbooks(load_config(eng.config_path))
        if registry.errors:
            raise OpsError("; ".join(registry.errors))
        return f"{len(registry.runbooks)} runbook(s) valid"

    checks += [("config", config_probe), ("runbooks", runbooks_probe), ("database", db_probe),
               ("replicas", replicas_probe), ("slack", slack_probe)]
    try:
        config = load_config(eng.config_path)
    except OpsError:
        config = None  # the config check reports it
    if config is not None and config.oncall.schedules:
        checks.append(("oncall", lambda: _oncall_probe(config)))
    if config is not None and any(o.usergroup for o in config.alerts.owners):
        checks.append(("owners", lambda: _owners_probe(config, bot)))
    mlflow_uri = eng.mlflow_tracking_uri or (config.models.tracking_uri if config and config.models else None)
    if mlflow_uri and mlflow_uri.startswith("http"):
        checks.append(("mlflow", lambda: _http_ok(mlflow_uri.rstrip("/") + "/health", "MLflow")))
    elif mlflow_uri:
        checks.append(("mlflow", lambda: _local_store(mlflow_uri)))
    if eng.prometheus_url:
        checks.append(("prometheus", lambda: _http_ok(eng.prometheus_url.rstrip("/") + "/-/ready", "Prometheus")))
    if eng.alertmanager_url:
        checks.append(("alertmanager",
                       lambda: _http_ok(eng.alertmanager_url.rstrip("/") + "/-/ready", "Alertmanager")))
    for name, probe in checks:
        try:
            detail = await probe()
            out(f"ok    {name:<13} {detail}")
        except Exception as exc:  # every failure is one line with its reason, never a traceback
            failures += 1
            reason = exc.message if isinstance(exc, OpsError) else f"{type(exc).__name__}: {exc}"
            out(f"FAIL  {name:<13} {reason}")
    out("all checks passed" if not failures else f"{failures} check(s) failed")
    return 0 if not failures else 1
