"""`opsbot demo`: the bot beside a local Slack workspace, seeded with every feature."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import shutil
import signal
import socket
import sys
import webbrowser
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

from bot.demo_alertmanager import DemoAlertmanager, find_binary, start_demo_alertmanager
from bot.logs import setup_logging
from bot.stack import LocalStack, start_local_stack
from engine.lab.alerts.demo import demo_alerts_config
from engine.lab.oncall_demo import demo_oncall_config, demo_owners
from engine.config import OpsbotConfig
from engine.errors import InvalidInput
from engine.settings import EngineSettings
from engine.lab import SEED_WAIT_S

log = logging.getLogger("opsbot.demo")

DEMO_DIR = Path(".opsbot/demo")
# Kept between demos: training and logging the scikit-learn models takes ~30 s the first time.
MLFLOW_DIR = Path(".opsbot/demo-mlflow")


@dataclass
class DemoContext:
    """What a seeding step gets: the running stack and where the demo keeps its files."""

    stack: LocalStack
    data_dir: Path
    mlflow_dir: Path


Seeder = Callable[[DemoContext], Awaitable[str | None]]


DEMO_RUNBOOK = """\
name: restart-service
description: Restart a service's workers, let them settle, and check it answers again.
risk: high
environment: production
approval: {approvals: 1, approver_roles: [sre]}
match: {alertname: HighErrorRate}
parameters:
  service: {type: string, pattern: "^[a-z][a-z0-9-]{0,39}$", description: service name}
steps:
  - name: announce
    type: notify
    message: "Restarting ${service}"
  - name: restart
    type: command
    argv: [%(python)s, -c, "import sys, time; print('draining', sys.argv[1]); time.sleep(1); print('workers up')", "${service}"]
    timeout: 30s
  - name: settle
    type: wait
    seconds: 2
verify:
  - name: health
    type: http
    method: GET
    url: %(health_url)s
    expect_status: [200]
"""


DEMO_GATES = {
    # Latency is measured on this machine, so the gate allows noise in absolute terms too.
    "champion": ["auc >= champion.auc - 0.002", "latency_p95_ms <= 2 * champion.latency_p95_ms + 1",
                 "validation_status == passed"],
    "challenger": ["validation_status == passed"],
}


def demo_config(data_dir: Path, mlflow_uri: str | None = None, alertmanager_url: str | None = None) -> OpsbotConfig:
    """Return the demo's opsbot.yaml equivalent."""
    alerts = demo_alerts_config()  # storm graph and routes; default channel #incidents (no #alerts here)
    alerts.update(demo_owners())  # who owns each service; the platform team is paged
    if alertmanager_url:
        alerts["alertmanager_url"] = alertmanager_url
    # The storm pages a lot: channels open on a click here, not per severity.
    alerts["incident_channel"] = {"invite_groups": ["S0ONCALL"]}
    models = None if mlflow_uri is None else {
        "tracking_uri": mlflow_uri, "watch_interval_seconds": 10,
        "defaults": {"channel": "ml-models", "key_metrics": ["auc", "latency_p95_ms"], "gates": DEMO_GATES}}
    return OpsbotConfig.model_validate({
        "models": models,
        "environment": "production",
        "channels": {"default": "ops", "incidents": "incidents", "models": "ml-models",
                     "approvals": "ops", "drift": "ml-models"},
        "policy": {
            "roles": {"sre": {"description": "on-call engineers", "usergroups": ["S0ONCALL"], "users": ["U0ALICE"]},
                      "ml": {"description": "ML engineers", "usergroups": ["S0MLAPPROVERS"]}},
            "rules": [
                {"action": "runbook:*", "env": "production", "roles": ["sre"], "effect": "approval",
                 "approval": {"approver_roles": ["sre"], "approvals": 1}},
                {"action": "runbook:*", "env": "staging", "roles": ["sre", "ml"], "effect": "allow"},
                {"action": "cmd:audit", "roles": ["sre", "ml"], "effect": "allow"},
                {"action": "model:promote", "env": "*", "roles": ["ml", "sre"], "effect": "approval",
                 "approval": {"approver_roles": ["ml"], "approvals": 1}},
                {"action": "model:rollback", "env": "*", "roles": ["ml", "sre"], "effect": "allow"},
                {"action": "model:override_gates", "env": "*", "roles": ["sre"], "effect": "allow"},
                # `to new-alias X` still goes through model:promote's approval; this only says who may.
                {"action": "model:create_alias", "env": "*", "roles": ["ml"], "effect": "allow"},
                *_auto_demo_rules(),
            ],
        },
        "runbooks": {"dirs": [str(data_dir / "runbooks")]},
        "auto": _auto_demo_config(),
        "rca": _rca_demo_config(data_dir),
        "alerts": alerts,
        "watches": _watches_demo_config(data_dir),
        "oncall": demo_oncall_config(data_dir),
    })


def write_demo_runbooks(data_dir: Path, health_url: str) -> None:
    """Write the demo's runbooks (they need the bot's own URL for their verify step)."""
    folder = data_dir / "runbooks"
    folder.mkdir(parents=True, exist_ok=True)
    text = DEMO_RUNBOOK % {"python": json.dumps(sys.executable), "health_url": json.dumps(health_url)}
    (folder / "restart-service.yaml").write_text(text)
    from engine.lab.auto.demo import write_auto_runbooks

    write_auto_runbooks(folder, sys.executable, health_url)  # a shadow trigger and an auto one


async def seed_runbook_request(ctx: DemoContext) -> str:
    """Have alice ask for a production restart, which waits for a second person."""
    ws = ctx.stack.workspace
    await ws.send_slash_command("alice", "ops", "run restart-service service=checkout")
    await ws.wait_for(lambda: any("restart-service" in m.get("text", "") for m in ws.messages("ops")),
                      timeout=SEED_WAIT_S)
    return "alice asked to restart `checkout` in #ops: switch to bob and approve it"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_mlflow(store: Path) -> str:
    """Train the demo models once, then reset their aliases so every demo starts the same."""
    from engine.lab.demo_models import reset_aliases, seed

    uri = seed(store, log=lambda _: None)
    reset_aliases(store)
    return uri


async def _until(predicate: Callable[[], object], timeout: float, what: str) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (found := predicate()):
        if loop.time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)
    return found


async def _until_posted(outbox: Any, timeout: float = 120) -> None:
    """Wait until every seeded message is in the workspace, so the first click is answered at once.

    The seeds queue dozens of posts and edits, paced at Slack's one per second per channel; a
    click made before they drain would wait behind them.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while await outbox.depth() and loop.time() < deadline:
        await asyncio.sleep(0.5)
    if left := await outbox.depth():
        print(f"  {left} seeded message(s) still queued for the workspace; they arrive in the next seconds", flush=True)


async def seed_models(ctx: DemoContext) -> str:
    """A nightly retrain registers churn vN (announced with Promote buttons); alice tries a weak v3."""
    from engine.lab.demo_models import register_retrained

    eng, ws = ctx.stack.bot.engine, ctx.stack.workspace
    watch = eng.scheduler.jobs["models-watch"]
    await _until(lambda: watch.runs >= 1, SEED_WAIT_S, "the registry watch to learn the registry")
    # One promotion Opsbot recorded (v1 -> v2, approved by bob) gives history and rollback a past.
    await ws.send_slash_command("alice", "ml-models", "promote churn 2")
    try:
        request = await _until(lambda: next((m for m in ws.messages("ml-models")
                                             if "approval_approve" in str(m.get("blocks"))), None), SEED_WAIT_S,
                               "the approval request for churn v2")
    except TimeoutError as exc:  # say what alice was told, if anything
        told = [e.get("text", "") for e in ws.ephemerals("alice", "ml-models")]
        raise TimeoutError(f"{exc}; alice was told: {told[-1] if told else 'nothing'}") from None
    await ws.click("bob", "ml-models", request["ts"], "approval_approve")
    await _until(lambda: any("from v1 to v2" in m.get("text", "") for m in ws.messages("ml-models")), SEED_WAIT_S,
                 "the approved promotion of churn v2 to finish")
    version = await asyncio.to_thread(register_retrained, ctx.mlflow_dir)
    await _until(lambda: any(f"v{version}" in m.get("text", "") for m in ws.messages("ml-models")), SEED_WAIT_S,
                 f"the announcement of churn v{version}")
    await ws.send_slash_command("alice", "ml-models", "promote churn 3")
    return (f"churn v1 -> v2 promoted (approved by bob); v{version} announced in #ml-models (try Promote "
            f"to champion, approve as bob, then "
            f"`/ops rollback churn`); alice's `/ops promote churn 3` failed its gates")


async def seed_drift(ctx: DemoContext) -> str:
    """Drifted churn data with a scheduled check that posts its summary to #ml-models."""
    from engine.lab.drift.demo import seed_drift_demo

    return await seed_drift_demo(ctx.stack, ctx.data_dir)


async def seed_alerts(ctx: DemoContext) -> str:
    """Post a seeded alert storm through the real webhooks; it collapses into a few incidents."""
    from engine.lab.alerts.demo import seed_alert_storm

    return await seed_alert_storm(ctx.stack)


async def seed_corrections(ctx: DemoContext) -> str:
    """Split one storm incident and merge another, clicking the buttons as people do."""
    from engine.lab.alerts.demo import seed_corrections as seed

    return await seed(ctx.stack)


def _watches_demo_config(data_dir: Path) -> list[dict]:
    """Return the demo's `watches:` (a replayed checkout latency; the demo has no Prometheus)."""
    from engine.lab.anomaly.demo import demo_watches

    return demo_watches(data_dir, channel="incidents")


async def seed_anomaly(ctx: DemoContext) -> str:
    """The replayed checkout latency jumps: its anomaly becomes an incident with evidence in #incidents."""
    from engine.lab.anomaly.demo import seed_anomaly_demo

    return await seed_anomaly_demo(ctx.stack)


def seeders() -> list[tuple[str, Seeder]]:
    """Return each feature's demo seeding step, in the order they run."""
    return [("runbook approval", seed_runbook_request), ("models", seed_models), ("drift", seed_drift)] + [
        ("hypotheses", seed_rca)] + [("incident command", seed_incident_command)] + [
        ("alert storm", seed_alerts), ("grouping corrections", seed_corrections)] + [("anomaly watch", seed_anomaly)] + [
        ("auto-remediation", seed_auto)]


async def seed_incident_command(ctx: DemoContext) -> str:
    """The cascade's incident gets a channel, a confirmed cause, a resolve and a postmortem draft."""
    from engine.lab.incident_command import seed_incident_command as seed

    return await seed(ctx)


def _auto_demo_config() -> dict:
    from engine.lab.auto.demo import AUTO_CONFIG

    return dict(AUTO_CONFIG)


def _auto_demo_rules() -> list[dict]:
    from engine.lab.auto.demo import POLICY_RULES

    return list(POLICY_RULES)


async def seed_auto(ctx: DemoContext) -> str:
    """Seed a trigger in shadow mode and one in auto mode, each with its incident."""
    from engine.lab.auto.demo import seed_auto_demo

    return await seed_auto_demo(ctx.stack)


def _rca_demo_config(data_dir: Path) -> dict:
    """Return the demo's `rca:` section (graph and recorded signals; no Prometheus in the demo)."""
    from engine.lab.rca.demo import REPLAY_FILE, demo_rca_config

    return demo_rca_config(data_dir / REPLAY_FILE)


async def seed_rca(ctx: DemoContext) -> str:
    """A db saturation cascade pages the frontend; alice asks for hypotheses in its thread."""
    from engine.lab.rca.demo import seed_rca_demo

    channel = ctx.stack.bot.engine.config.alerts.default_channel.lstrip("#")
    return await seed_rca_demo(ctx, channel if channel != "alerts" else "incidents")


async def start_alertmanager(data_dir: Path) -> tuple[DemoAlertmanager | None, str]:
    """Start a local Alertmanager for silences when one is installed; say what happened."""
    binary = find_binary()
    if binary is None:
        return None, ("not installed, so incidents show no Silence button: install Debian's "
                      "prometheus-alertmanager (`make system-deps`) to try it")
    try:
        am = await start_demo_alertmanager(data_dir, binary, _free_port())
    except (OSError, RuntimeError) as exc:
        return None, f"could not start ({exc}), so incidents show no Silence button"
    return am, (f"{am.url} keeps the silences made with Silence in Alertmanager "
                f"(its API lists them: {am.url}/api/v2/silences)")


async def run_demo(port: int = 8900, open_browser: bool = True, data_dir: Path = DEMO_DIR,
                   stop: asyncio.Event | None = None, mlflow_dir: Path | None = None) -> int:
    """Start the demo, seed it, print the URL, and run until interrupted."""
    setup_logging("WARNING")
    if data_dir.exists():
        shutil.rmtree(data_dir)  # every demo starts from the same story
    data_dir.mkdir(parents=True)
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{data_dir / 'opsbot.db'}")
    bot_port = _free_port()
    write_demo_runbooks(data_dir, f"http://127.0.0.1:{bot_port}/healthz")
    print("Preparing the demo (the first run trains the demo models, about 30 s)...", flush=True)
    mlflow_dir = mlflow_dir or MLFLOW_DIR
    mlflow_uri = await asyncio.to_thread(prepare_mlflow, mlflow_dir)
    am, am_note = await start_alertmanager(data_dir)
    print(f"  alertmanager: {am_note}", flush=True)
    try:
        await _serve(settings, demo_config(data_dir, mlflow_uri, am.url if am else None), port, bot_port,
                     data_dir, mlflow_dir, open_browser, stop)
    finally:
        if am:
            await am.stop()
    return 0


async def _serve(settings: EngineSettings, config: OpsbotConfig, port: int, bot_port: int, data_dir: Path,
                 mlflow_dir: Path, open_browser: bool, stop: asyncio.Event | None) -> None:
    try:
        stack = await start_local_stack(settings, config, ws_port=port,
                                        bot_port=bot_port, webhook_token=secrets.token_urlsafe(16))
    except OSError as exc:
        raise InvalidInput(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}",
                           hint="another demo may be running; pick a free port with --port") from exc
    try:
        for name, seed in seeders():
            try:
                note = await seed(DemoContext(stack, data_dir, mlflow_dir))
                print(f"  seeded {name}" + (f": {note}" if note else ""), flush=True)
            except Exception as exc:  # one broken seed must not take the whole shop window down
                log.exception("demo seed failed", extra={"seed": name})
                print(f"  could not seed {name}: {str(exc) or type(exc).__name__}", flush=True)
        await _until_posted(stack.bot.engine.outbox)
        url = stack.workspace.url
        print(f"\nOpsbot demo is running. Open {url} and type `/ops help` in #ops.\n"
              f"Act as alice, bob or carol with the user picker. Ctrl-C stops it.", flush=True)
        if open_browser:
            webbrowser.open(url)
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                pass
        await stop.wait()
    finally:
        await stack.stop()
