"""MLflow webhook verification: valid signature, tampering, replay, missing headers."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from engine.errors import Forbidden
from engine.models.webhooks import sign, verify

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
TS = str(int(NOW.timestamp()))
BODY = json.dumps({"entity": "model_version", "action": "created", "timestamp": NOW.isoformat(),
                   "data": {"name": "churn", "version": "4"}})


def headers(body: str = BODY, ts: str = TS, secret: str = "s3cret") -> dict[str, str]:
    return {"X-MLflow-Signature": sign(secret, "d-1", ts, body), "X-MLflow-Timestamp": ts,
            "X-MLflow-Delivery-Id": "d-1"}


def test_valid_webhook_is_parsed() -> None:
    ev = verify("s3cret", headers(), BODY.encode(), NOW)
    assert (ev.entity, ev.action, ev.model, ev.relevant) == ("model_version", "created", "churn", True)


def test_signature_matches_mlflows_own_signer() -> None:
    from mlflow.webhooks.delivery import _generate_hmac_signature

    assert sign("k", "d", "1", "{}") == _generate_hmac_signature("k", "d", "1", "{}")


@pytest.mark.parametrize("case", ["tampered", "wrong_secret", "replayed", "missing"])
def test_bad_webhooks_are_refused(case: str) -> None:
    h, body = headers(), BODY.encode()
    if case == "tampered":
        body = BODY.replace("churn", "fraud").encode()
    elif case == "wrong_secret":
        h = headers(secret="other")
    elif case == "replayed":
        h = headers(ts=str(int(NOW.timestamp()) - 3600))
    else:
        h.pop("X-MLflow-Signature")
    with pytest.raises(Forbidden):
        verify("s3cret", h, body, NOW)


@pytest.mark.parametrize("ts", ["²", "¹²³", "١٢٣", "9" * 400, "-1", " 1"])
def test_timestamps_that_are_not_plain_digits_are_refused_not_crashed(ts: str) -> None:
    with pytest.raises(Forbidden):
        verify("s3cret", headers(ts=ts), BODY.encode(), NOW)
