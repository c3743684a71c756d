"""Canonical form and hashing of audit events (pure functions)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from engine.core.clock import utc

GENESIS = "0" * 64


def canonical_time(at: datetime) -> str:
    """Return the one string form of a timestamp that the hash covers."""
    return utc(at).isoformat(timespec="microseconds")


def normalize_data(data: Any) -> Any:
    """Return data as it will read back from a JSON column (tuples become lists, ...)."""
    return json.loads(json.dumps(data, default=str))


def canonical_json(fields: dict[str, Any]) -> str:
    """Serialize with sorted keys and no whitespace, so equal events hash equally."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(*, seq: int, at: datetime, actor: str, actor_name: str, action: str,
               subject: str, data: Any, prev_hash: str) -> str:
    """Return the sha256 hex digest of an event's canonical JSON, previous hash included."""
    body = canonical_json({
        "seq": seq, "at": canonical_time(at), "actor": actor, "actor_name": actor_name,
        "action": action, "subject": subject, "data": data, "prev_hash": prev_hash,
    })
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
