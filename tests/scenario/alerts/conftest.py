"""A bot with a webhook token, a real Alertmanager for silences and a runbook that matches alerts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp
import pytest

from bot.stack import LocalStack, start_local_stack
from engine.config import OpsbotConfig
from engine.settings import EngineSettings
from tests.servers import start_alertmanager

TOKEN = "scenario-webhook-token"
CAPTURE = Path(__file__).resolve().parents[2] / "fixtures" / "alerts" / "webhook-v4-firing-then-resolved.jsonl"

RUNBOOK = """\
name: retrain-model
description: Retrain a model whose accuracy dropped.
environment: production
match: {alertname: ModelAccuracyLow}
parameters:
  model: {type: string, pattern: "^[a-z][a-z0-9-]*$", description: model name}
steps:
  - name: announce
    type: notify
    message: "Retraining ${model}"
"""


def alerts_config(tmp: Path, am_url: str | None) -> OpsbotConfig:
    """Route critical incidents to #incidents, the rest to #ops; tick fast so cool-downs end quickly."""
    rb = tmp / "runbooks"
    rb.mkdir(exist_ok=True)
    (rb / "retrain.yaml").write_text(RUNBOOK)
    return OpsbotConfig.model_validate({
        "alerts": {"routes": [{"match": {"severity": "critical"}, "channel": "#incidents"}],
                   "default_channel": "#ops", "resolve_cooldown_s": 1, "tick_interval_s": 0.5,
                   "alertmanager_url": am_url},
        "runbooks": {"dirs": [str(rb)]},
        # Alice may run runbooks in production; nobody else may.
        "policy": {"roles": {"sre": {"users": ["U0ALICE"]}},
                   "rules": [{"action": "runbook:*", "env": "production", "roles": ["sre"], "effect": "allow"}]},
    })


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory) -> Any:
    """One real Alertmanager (no receiver) per module, for the Silence button."""
    proc, url = start_alertmanager(tmp_path_factory.mktemp("am"))
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
async def alert_stack(tmp_path, alertmanager) -> AsyncIterator[LocalStack]:
    """The bot on SQLite with OPSBOT_WEBHOOK_TOKEN set, beside a fresh workspace."""
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    stack = await start_local_stack(settings, alerts_config(tmp_path, alertmanager), webhook_token=TOKEN)
    yield stack
    await stack.stop()


async def post_webhook(stack: LocalStack, body: Any, path: str = "/webhooks/alertmanager",
                       token: str | None = TOKEN, content_type: str = "application/json") -> tuple[int, dict]:
    """POST a webhook body (dict, str or bytes) to the bot as Alertmanager would; return (status, json)."""
    data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with aiohttp.ClientSession() as http:
        async with http.post(stack.bot.url + path, data=data, headers=headers) as r:
            return r.status, await r.json()


def incident_messages(stack: LocalStack, channel: str = "#incidents") -> list[dict]:
    """Return the bot's incident messages in a channel (one per incident), oldest first."""
    return [m for m in stack.workspace.messages(channel) if " incident #" in m.get("text", "")]


def button_ids(message: dict) -> list[str]:
    """Return every button action_id on a message."""
    return [e["action_id"] for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]
