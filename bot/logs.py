"""JSON-lines logging with a request id carried through each request."""

from __future__ import annotations

import contextvars
import json
import logging
import random
import sys
from datetime import datetime, timezone

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

_STD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def new_request_id() -> str:
    """Start a new request id for the current task and return it."""
    # 48 bits from the module generator (seeded from the OS at start and reseeded in forked
    # workers): as unique as the 12 hex digits of uuid4, without a system call per request.
    rid = f"{random.getrandbits(48):012x}"
    request_id.set(rid)
    return rid


class JsonFormatter(logging.Formatter):
    """Format each record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": request_id.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STD and not key.startswith("_"):
                out[key] = value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def setup_logging(level: str = "INFO") -> None:
    """Send JSON lines to stderr at the given level."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiohttp.access", "alembic.runtime.migration", "urllib3", "slack_bolt.AsyncApp"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
