"""A missing credential is a closed door with a clear message, never a well-known value."""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path

from bot.workspace import WorkspaceConfig, start_workspace
from engine.models.webhooks import sign as mlflow_sign
from tests.security.served import DEFAULT_CONFIG, ServedBot, bot_env, run_cli, write_config
from tests.servers import free_port

MODELS = "models:\n  tracking_uri: http://127.0.0.1:9\n"


def without(env: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in names}


def assert_one_line_naming(proc, variable: str) -> None:  # noqa: ANN001 - CompletedProcess
    assert proc.returncode != 0, proc
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and variable in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


async def test_serve_refuses_to_start_in_http_mode_without_signing_secret(tmp_path, sqlite_url):
    env = bot_env(sqlite_url, write_config(tmp_path), None, SLACK_BOT_TOKEN="xoxb-x",
                  SLACK_API_URL="http://127.0.0.1:9/api/")
    for variant in (env, {**env, "SLACK_SIGNING_SECRET": ""}):
        proc = run_cli(variant, "serve", "--host", "127.0.0.1", "--port", str(free_port()), timeout=60)
        assert_one_line_naming(proc, "SLACK_SIGNING_SECRET")
    proc = run_cli(env, "serve", "--port", str(free_port()), "--workers", "2", timeout=60)
    assert_one_line_naming(proc, "SLACK_SIGNING_SECRET")
    proc = run_cli(without(env, "SLACK_BOT_TOKEN") | {"SLACK_SIGNING_SECRET": "s"}, "serve", "--port",
                   str(free_port()), timeout=60)
    assert_one_line_naming(proc, "SLACK_BOT_TOKEN")


async def test_check_fails_on_a_missing_signing_secret_and_a_blank_mlflow_secret(start_bot, sqlite_url, tmp_path):
    bot = await start_bot(sqlite_url)
    ok = await asyncio.to_thread(bot.cli, "check")  # the workspace answers auth.test on this loop
    assert ok.returncode == 0, ok.stdout + ok.stderr
    proc = await asyncio.to_thread(run_cli, without(bot.env, "SLACK_SIGNING_SECRET"), "check")
    assert proc.returncode == 1
    slack = next(line for line in proc.stdout.splitlines() if line.split()[1:2] == ["slack"])
    assert slack.startswith("FAIL") and "SLACK_SIGNING_SECRET" in slack, proc.stdout
    blank = tmp_path / "blank"
    blank.mkdir()
    env = bot.env | {"OPSBOT_CONFIG": str(write_config(blank, DEFAULT_CONFIG + MODELS + '  webhook_secret: ""\n'))}
    proc = await asyncio.to_thread(run_cli, env, "check")
    config = next(line for line in proc.stdout.splitlines() if line.split()[1:2] == ["config"])
    assert proc.returncode == 1 and config.startswith("FAIL") and "webhook_secret" in config, proc.stdout
    proc = run_cli(env, "serve", "--port", str(free_port()))
    assert proc.returncode != 0 and "webhook_secret" in proc.stderr and "Traceback" not in proc.stderr


async def test_webhooks_without_their_secret_refuse_every_request_and_say_why(start_bot, sqlite_url):
    bot = await start_bot(sqlite_url, config=DEFAULT_CONFIG + MODELS)  # no OPSBOT_WEBHOOK_TOKEN
    body = b'{"alerts": []}'
    for path in ["/webhooks/alertmanager", "/webhooks/alerts", "/webhooks/changes"]:
        for auth in [None, "Bearer ", "Bearer unset", "Bearer None", "Basic Og=="]:
            headers = {"Content-Type": "application/json"} | ({"Authorization": auth} if auth else {})
            status, text = await bot.post(path, body, headers)
            assert status == 401 and "OPSBOT_WEBHOOK_TOKEN" in text, (path, auth, status, text)
    # MLflow webhooks: no models.webhook_secret, so no key (empty or otherwise) is accepted.
    for key in ["", "unset", "None"]:
        ts, body = str(int(time.time())), '{"entity": "model_version", "action": "created"}'
        headers = {"X-MLflow-Signature": mlflow_sign(key, "d1", ts, body), "X-MLflow-Timestamp": ts,
                   "X-MLflow-Delivery-Id": "d1", "Content-Type": "application/json"}
        status, text = await bot.post("/webhooks/mlflow", body.encode(), headers)
        assert status == 401 and "webhook_secret" in text, (key, status, text)
    assert bot.alive()


async def test_slack_requests_signed_with_well_known_keys_are_refused(start_bot, sqlite_url):
    bot = await start_bot(sqlite_url)
    body = bot.slash_form("U0ALICE", "help")
    for key in ["unset", "", "None", "changeme"]:
        status, _ = await bot.post_slack(body, headers=bot.signed_headers(body, secret=key))
        assert status == 401, key


async def test_socket_mode_without_signing_secret_serves_slack_but_closes_the_http_door(tmp_path: Path, sqlite_url):
    ws = await start_workspace(WorkspaceConfig(
        signing_secret=secrets.token_hex(16), bot_token="xoxb-local-" + secrets.token_hex(8),
        app_token="xapp-local-" + secrets.token_hex(8), rate_per_second=0, request_timeout=10.0))
    env = without(bot_env(sqlite_url, write_config(tmp_path), ws, SLACK_APP_TOKEN=ws.workspace.config.app_token),
                  "SLACK_SIGNING_SECRET")
    bot = ServedBot(tmp_path, sqlite_url, ws, env)
    try:
        await bot.start()
        ws.set_request_url(None)  # Slack talks to the bot over its Socket Mode connection
        await ws.wait_for_connections(1, timeout=30)
        answer = await bot.command("U0ALICE", "help")
        assert answer.status == 200 and answer.error is None, answer
        body = b"command=%2Fops&text=help&user_id=U0ALICE"
        for key in ["", "unset"]:
            status, text = await bot.post_slack(body, headers=bot.signed_headers(body, secret=key))
            assert status == 503 and "SLACK_SIGNING_SECRET" in text, (status, text)
    finally:
        await bot.stop()
        await ws.stop()
