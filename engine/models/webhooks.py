"""MLflow registry webhooks: verify the HMAC signature MLflow sends, then read the event.

MLflow signs `"{delivery_id}.{timestamp}.{body}"` with HMAC-SHA256 and sends
`X-MLflow-Signature: v1,<base64>` with `X-MLflow-Delivery-Id` and `X-MLflow-Timestamp`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from engine.errors import Forbidden, InvalidInput
from engine.core.jsonbound import loads_bounded

SIGNATURE, TIMESTAMP, DELIVERY = "x-mlflow-signature", "x-mlflow-timestamp", "x-mlflow-delivery-id"
RELEVANT = {"model_version", "model_version_alias", "model_version_tag", "registered_model"}


@dataclass(frozen=True)
class RegistryEvent:
    """A verified registry webhook: what changed (entity, action) and for which model."""

    delivery_id: str
    entity: str
    action: str
    model: str | None
    data: dict[str, Any]

    @property
    def relevant(self) -> bool:
        """Return True when the event can change what the watch reports."""
        return self.entity in RELEVANT


def sign(secret: str, delivery_id: str, timestamp: str, body: str) -> str:
    """Return the signature header value MLflow would send (used by tests and tools)."""
    digest = hmac.new(secret.encode(), f"{delivery_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: datetime,
           tolerance_s: int = 300) -> RegistryEvent:
    """Check signature and freshness, then parse; raise Forbidden or InvalidInput saying why."""
    h = {k.lower(): v for k, v in headers.items()}
    sig, ts, delivery = h.get(SIGNATURE, ""), h.get(TIMESTAMP, ""), h.get(DELIVERY, "")
    if not (sig and ts and delivery):
        raise Forbidden("webhook is missing the MLflow signature, timestamp or delivery id headers")
    # isascii: str.isdigit() also accepts "²", which int() then refuses (a 500 instead of a 403).
    if not (ts.isascii() and ts.isdigit() and len(ts) <= 12) or abs(now.timestamp() - int(ts)) > tolerance_s:
        raise Forbidden("webhook timestamp is too old or in the future", hint="replays are refused")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("webhook body is not UTF-8") from None
    if not hmac.compare_digest(sig.encode(), sign(secret, delivery, ts, text).encode()):
        raise Forbidden("webhook signature does not match", hint="check models.webhook_secret")
    try:
        payload = loads_bounded(text)
    except ValueError:  # not JSON, or nested deeper than any registry event
        raise InvalidInput("webhook body is not JSON (or is nested too deep)") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("data") or {}, dict):
        raise InvalidInput("webhook body must be a JSON object whose `data` is an object")
    data = payload.get("data") or {}
    if not isinstance(data.get("name"), (str, type(None))):
        raise InvalidInput("webhook data.name must be a string")
    return RegistryEvent(delivery, str(payload.get("entity", "")), str(payload.get("action", "")),
                         data.get("name"), data)
