"""Signed malformed input gets 4xx with a short reason, never 5xx, and the process stays up."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from bot.ids import DRIFT_COMPARE_MODAL
from engine.models.webhooks import sign as mlflow_sign

USER = {"id": "U0ALICE", "username": "alice", "name": "alice", "team_id": "T0LOCAL"}
TEAM = {"id": "T0LOCAL", "domain": "opsbot-local"}


def block_actions(actions) -> dict:  # noqa: ANN001 - any JSON value, on purpose
    return {"type": "block_actions", "user": USER, "team": TEAM, "api_app_id": "A0OPSBOT",
            "trigger_id": "t1", "container": {"type": "message"}, "actions": actions}


def view_submission(callback_id: str, metadata: str, values) -> dict:  # noqa: ANN001 - any JSON value, on purpose
    return {"type": "view_submission", "user": USER, "team": TEAM, "api_app_id": "A0OPSBOT",
            "view": {"id": "V1", "type": "modal", "callback_id": callback_id,
                     "private_metadata": metadata, "state": {"values": values}}}


def deep(payload: dict, depth: int = 3000) -> str:
    """Return the payload's JSON with the value "DEEP" replaced by a list nested `depth` deep
    (2 bytes per level: 3,000 levels are 6 kB)."""
    return json.dumps(payload).replace('"DEEP"', "[" * depth + "]" * depth)


MALFORMED_INTERACTIONS = [
    block_actions("x"), block_actions([]), block_actions([1]), block_actions([{}]), block_actions(None),
    block_actions([{"action_id": 5}]), block_actions([{"action_id": "runbook.approve", "value": ["1"]}]),
    view_submission("runbook.run_modal", "not json", {}),
    view_submission("runbook.run_modal", '{"name": "x", "channel": "C0OPS"}', "not an object"),
    view_submission("runbook.run_modal", '{"name": "x", "channel": "C0OPS"}', {"b": {"value": {"value": 5}}}),
    view_submission("runbook.run_modal", "[1, 2]", {}),
    view_submission("runbook.run_modal", '{"channel": "C0OPS"}', {}),
    view_submission(DRIFT_COMPARE_MODAL, '{"channel": "C0OPS"}', {}),
    {"type": "view_closed", "user": USER, "view": "x"},
    {"type": "shortcut", "user": USER},
    {"type": "block_actions", "user": "U0ALICE", "actions": [{"action_id": "a"}]},
    {"type": "block_actions", "user": USER, "team": 5, "actions": [{"action_id": "a"}]},
    {"type": "block_actions", "user": USER, "enterprise": [1], "actions": [{"action_id": "a"}]},
    {"type": "block_actions", "user": USER, "authorizations": [7], "actions": [{"action_id": "a"}]},
    {"type": "no_such_type", "user": USER},
    {"type": 7},
    [1, 2, 3],
    deep(block_actions("DEEP")),
]

MALFORMED_EVENTS = [
    {"type": "event_callback", "event": "x"},
    {"type": "event_callback", "event": {"type": 5}},
    {"type": "event_callback", "event": {"type": "message", "user": 5}},
    {"type": "event_callback", "event": {"type": "app_mention", "channel": [1]}},
    {"type": "url_verification"},
    {"type": "url_verification", "challenge": {"a": 1}},
    deep({"type": "event_callback", "event": "DEEP"}),
]


async def test_malformed_signed_interactions_get_400_with_a_reason(start_bot, sqlite_url):
    bot = await start_bot(sqlite_url)
    for payload in MALFORMED_INTERACTIONS:
        status, text = await bot.post_interaction(payload)
        assert status == 400, (payload if len(str(payload)) < 300 else str(payload)[:300], text, bot.log_tail())
        assert json.loads(text)["message"], text
    # The payload field itself: not JSON, JSON nested 3,000 deep (6 kB), not UTF-8.
    for raw in [urlencode({"payload": "{not json"}).encode(),
                urlencode({"payload": "[" * 3000 + "]" * 3000}).encode(),
                b"payload=%FF%FE"]:
        status, text = await bot.post_slack(raw)
        assert status == 400, (raw[:60], text)
    assert bot.alive()
    assert "Traceback" not in bot.log_tail(100_000)


async def test_malformed_signed_events_and_forms_get_400(start_bot, sqlite_url):
    bot = await start_bot(sqlite_url)
    for payload in MALFORMED_EVENTS:
        body = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        status, text = await bot.post_slack(body, content_type="application/json")
        assert status == 400, (str(payload)[:200], text)
    for raw in [b"{" * 3000, b'{"type": "event_callback", "event": ' + b"[" * 3000 + b"]" * 3000 + b"}",
                b"\xff\xfe", b"text=hi", b"command=%2Fops&user_id="]:
        status, text = await bot.post_slack(raw, content_type="application/json" if raw[:1] == b"{" else
                                            "application/x-www-form-urlencoded")
        assert 400 <= status < 500, (raw[:60], status, text)
    assert bot.alive()


async def test_well_formed_requests_still_pass_the_door(start_bot, sqlite_url):
    bot = await start_bot(sqlite_url)
    answer = await bot.command("U0ALICE", "help")
    assert answer.status == 200 and answer.json, answer
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "t"}).encode()
    status, text = await bot.post_slack(body, content_type="application/json")
    assert status == 200 and "abc123" in text
    status, _ = await bot.post_slack(urlencode({"ssl_check": "1", "token": "t"}).encode())
    assert status == 200
    # A slash command whose text says "payload" is still a slash command.
    status, text = await bot.post_slack(bot.slash_form("U0ALICE", "why payload"))
    assert status == 200, text


async def test_timestamps_other_than_ascii_digits_get_401_not_500(start_bot, sqlite_url):
    bot = await start_bot(sqlite_url)
    body = bot.slash_form("U0ALICE", "help")
    for stamp in ["²", "¹²³", "１２３", "-5", "1e9", "0x10", "9" * 40]:
        status, text = await bot.post_slack(body, headers=bot.signed_headers(body, timestamp=stamp))
        assert status == 401, (stamp, text)
    assert bot.alive()


async def test_malformed_webhook_bodies_get_400(start_bot, sqlite_url):
    config_extra = "models:\n  tracking_uri: http://127.0.0.1:9\n  webhook_secret: mlflow-test-secret\n"
    from tests.security.served import DEFAULT_CONFIG

    bot = await start_bot(sqlite_url, config=DEFAULT_CONFIG + config_extra, OPSBOT_WEBHOOK_TOKEN="hook-token")
    auth = {"Authorization": "Bearer hook-token", "Content-Type": "application/json"}
    bad = [b"{not json", b"[" * 3000 + b"]" * 3000, b'{"alerts": ' + b"[" * 3000 + b"]" * 3000 + b"}",
           b"[1]", b'"x"', b"\xff", b'{"alerts": "x"}', b'{"changes": 5}']
    for path in ["/webhooks/alertmanager", "/webhooks/alerts", "/webhooks/changes"]:
        for body in bad:
            status, text = await bot.post(path, body, auth)
            assert status == 400, (path, body[:40], status, text)
    for body in bad[:6] + [b'{"data": [1]}', b'{"data": {"name": 5}}']:
        ts, delivery = str(int(time.time())), "d-1"
        headers = {"X-MLflow-Signature": mlflow_sign("mlflow-test-secret", delivery, ts, body.decode("utf-8", "replace")),
                   "X-MLflow-Timestamp": ts, "X-MLflow-Delivery-Id": delivery, "Content-Type": "application/json"}
        status, text = await bot.post("/webhooks/mlflow", body, headers)
        assert status == 400, (body[:40], status, text)
    for stamp in ["²", "¹²³"]:
        body = b'{"entity": "model_version"}'
        headers = {"X-MLflow-Signature": mlflow_sign("mlflow-test-secret", "d", stamp, body.decode()),
                   "X-MLflow-Timestamp": stamp, "X-MLflow-Delivery-Id": "d"}
        status, text = await bot.post("/webhooks/mlflow", body, headers)
        assert status == 401, (stamp, status, text)
    assert bot.alive()
