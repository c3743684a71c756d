"""Requests Slack would never send are refused with 4xx, and nothing runs."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import aiohttp

from bot.workspace import signed_headers


def _secret(stack) -> str:
    return stack.bot.deps.settings.slack_signing_secret.get_secret_value()


async def _post(stack, body: bytes, headers: dict[str, str], ctype="application/x-www-form-urlencoded"):
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{stack.bot.url}/slack/events", data=body,
                             headers={"Content-Type": ctype, **headers}) as resp:
            return resp.status, await resp.text()


def _command_body(text="help") -> bytes:
    return urlencode({"command": "/ops", "text": text, "user_id": "U0ALICE", "user_name": "alice",
                      "channel_id": "C0OPS", "team_id": "T0LOCAL", "response_url": "http://127.0.0.1:9/x",
                      "trigger_id": "1.2.3"}).encode()


async def test_bad_signature_is_401(stack):
    body = _command_body()
    headers = signed_headers("not-the-secret", body)
    status, _ = await _post(stack, body, headers)
    assert status == 401


async def test_replay_outside_five_minutes_is_401(stack):
    body = _command_body()
    headers = signed_headers(_secret(stack), body, now=time.time() - 6 * 60)
    status, _ = await _post(stack, body, headers)
    assert status == 401


async def test_missing_signature_is_401(stack):
    status, _ = await _post(stack, _command_body(), {})
    assert status == 401


async def test_malformed_payload_json_is_400(stack):
    body = urlencode({"payload": "{not json"}).encode()
    status, text = await _post(stack, body, signed_headers(_secret(stack), body))
    assert status == 400 and "payload" in text or "parse" in text


async def test_payload_without_type_is_400(stack):
    body = urlencode({"payload": json.dumps({"user": {"id": "U0ALICE"}})}).encode()
    status, _ = await _post(stack, body, signed_headers(_secret(stack), body))
    assert status == 400


async def test_garbage_form_is_400(stack):
    body = b"\xff\xfe=&&=="
    status, _ = await _post(stack, body, signed_headers(_secret(stack), body))
    assert status == 400


async def test_refusals_are_counted_in_metrics(stack):
    await _post(stack, _command_body(), {})
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{stack.bot.url}/metrics") as resp:
            text = await resp.text()
    assert 'opsbot_slack_rejections_total{reason="invalid_signature"} 1.0' in text


async def test_health_and_readiness(stack):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{stack.bot.url}/healthz") as resp:
            assert resp.status == 200
        async with http.get(f"{stack.bot.url}/readyz") as resp:
            assert resp.status == 200 and (await resp.json())["database"] == "ok"
