"""Slack request signing: `v0=` + HMAC-SHA256(secret, `v0:{timestamp}:{raw body}`)."""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_VERSION = "v0"
# Slack refuses requests whose timestamp is more than five minutes away from now.
MAX_SKEW_SECONDS = 300


def sign(signing_secret: str, timestamp: str, body: bytes) -> str:
    """Return the `X-Slack-Signature` value for a raw body sent at `timestamp`."""
    base = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + body
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def signed_headers(signing_secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """Return the timestamp and signature headers Slack adds to every request."""
    timestamp = str(int(time.time() if now is None else now))
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(signing_secret, timestamp, body),
    }


def verify(
    signing_secret: str, timestamp: str, body: bytes, signature: str, now: float | None = None
) -> bool:
    """Check a signature the way a Slack app must (constant time, 5-minute window)."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > MAX_SKEW_SECONDS:
        return False
    return hmac.compare_digest(sign(signing_secret, timestamp, body), signature or "")
