"""`opsbot models webhook`: the endpoint URL and the explanation of MLflow's URL refusals."""

from __future__ import annotations

import pytest

from bot.main import build_parser
from engine.errors import InvalidInput
from engine.models.cli import EVENTS, PATH, endpoint, explain_refusal


def test_endpoint_accepts_a_base_url_or_the_full_one():
    assert endpoint("https://opsbot.example.com/") == "https://opsbot.example.com" + PATH
    assert endpoint("http://10.0.0.5:3000" + PATH) == "http://10.0.0.5:3000" + PATH
    with pytest.raises(InvalidInput):
        endpoint("opsbot.example.com")


@pytest.mark.parametrize("message", [
    # MLflow 3.17's own words (mlflow/utils/validation.py, mlflow/webhooks/ssrf.py)
    "Invalid webhook URL scheme: 'http'. Allowed schemes are: https.",
    "Webhook URL must not resolve to a non-public IP address. '127.0.0.1' resolves to 127.0.0.1.",
    "Webhook connection blocked: 10.0.0.5 is not a public IP address. This may indicate a DNS rebinding attempt.",
])
def test_url_refusals_name_the_server_settings(message):
    hint = explain_refusal(message)
    assert hint and "MLFLOW_WEBHOOK_ALLOWED_SCHEMES" in hint and "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS" in hint


def test_other_errors_get_no_url_hint():
    assert explain_refusal("Webhook with name 'opsbot' already exists") is None


def test_events_are_ones_mlflow_accepts_and_the_cli_is_mounted():
    from mlflow.entities.webhook import WebhookEvent

    assert [str(WebhookEvent.from_str(e)) for e in EVENTS] == list(EVENTS)
    args = build_parser().parse_args(["models", "webhook", "create", "--url", "https://o.example.com"])
    assert args.webhook_command == "create" and args.url == "https://o.example.com"
