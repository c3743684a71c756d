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
from pathlib import Path

from bot.demo_alertmanager import DemoAlertmanager, find_binary, start_demo_alertmanager
from bot.demo_seeds import DemoContext, wait_until_posted, seeders
from bot.logs import setup_logging
from bot.stack import start_local_stack
from engine.lab.alerts.demo import demo_alerts_config
from engine.lab.oncall_demo import demo_oncall_config, demo_owners
from engine.config import OpsbotConfig
from engine.errors import InvalidInput
from engine.settings import EngineSettings

log = logging.getLogger("opsbot.demo")

DEMO_DIR = Path(".opsbot/demo")
# Kept between demos: training and logging the scikit-learn models takes ~30 s the first time.
MLFLOW_DIR = Path(".opsbot/demo-mlflow")


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


def _watches_demo_config(data_dir: Path) -> list[dict]:
    """Return the demo's `watches:` (a replayed checkout latency; the demo has no Prometheus)."""
    from engine.lab.anomaly.demo import demo_watches

    return demo_watches(data_dir, channel="incidents")


def _auto_demo_config() -> dict:
    from engine.lab.auto.demo import AUTO_CONFIG

    return dict(AUTO_CONFIG)


def _auto_demo_rules() -> list[dict]:
    from engine.lab.auto.demo import POLICY_RULES

    return list(POLICY_RULES)


def _rca_demo_config(data_dir: Path) -> dict:
    """Return the demo's `rca:` section (graph and recorded signals; no Prometheus in the demo)."""
    from engine.lab.rca.demo import REPLAY_FILE, demo_rca_config

    return demo_rca_config(data_dir / REPLAY_FILE)


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
        await wait_until_posted(stack.bot.engine.outbox)
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
