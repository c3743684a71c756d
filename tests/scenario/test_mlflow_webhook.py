"""POST /webhooks/mlflow: signed registry webhooks are accepted, anything else refused."""

from __future__ import annotations

import json
import time

import aiohttp

from bot.stack import start_local_stack
from engine.config import OpsbotConfig
from engine.models.config import ModelsConfig
from engine.models.webhooks import sign
from engine.settings import EngineSettings


async def _post(url: str, body: str, headers: dict[str, str]) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/webhooks/mlflow", data=body.encode(),
                             headers={"Content-Type": "application/json", **headers}) as resp:
            return resp.status, await resp.json()


async def test_signed_webhook_is_accepted_and_bad_ones_refused(tmp_path):
    config = OpsbotConfig(models=ModelsConfig(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
                                              webhook_secret="s3cret", watch_interval_seconds=3600))
    stack = await start_local_stack(EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'o.db'}"), config)
    try:
        body = json.dumps({"entity": "model_version", "action": "created", "timestamp": "2026-11-27T12:00:00Z",
                           "data": {"name": "churn", "version": "4"}})
        ts = str(int(time.time()))
        good = {"X-MLflow-Signature": sign("s3cret", "d-1", ts, body), "X-MLflow-Timestamp": ts,
                "X-MLflow-Delivery-Id": "d-1"}
        status, answer = await _post(stack.bot.url, body, good)
        assert status == 200 and answer["ok"], answer
        status, answer = await _post(stack.bot.url, body, {**good, "X-MLflow-Signature": "v1,AAAA"})
        assert status == 401 and "signature" in answer["message"]
        status, answer = await _post(stack.bot.url, body, {})
        assert status == 401
    finally:
        await stack.stop()


async def test_webhook_without_a_model_registry_is_404(stack):
    status, answer = await _post(stack.bot.url, "{}", {})
    assert status == 404 and answer["error"] == "not_configured"
