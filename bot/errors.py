"""The one error handler: engine errors become an ephemeral answer that says what to do;
anything unexpected is logged with a correlation id that the user also sees."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from bot.metrics import Metrics
from bot.render import render
from engine.errors import OpsError

log = logging.getLogger("opsbot.errors")


def error_reply(exc: BaseException, metrics: Metrics | None = None) -> dict[str, Any]:
    """Turn an exception into an ephemeral Slack reply."""
    if isinstance(exc, OpsError):
        if metrics:
            metrics.errors.labels(exc.code).inc()
        reply = render("errors/ops_error", {"code": exc.code, "message": exc.message, "hint": exc.hint})
    else:
        correlation_id = uuid.uuid4().hex[:10]
        if metrics:
            metrics.errors.labels("unexpected").inc()
        log.error("unexpected error", exc_info=exc, extra={"correlation_id": correlation_id})
        reply = render("errors/unexpected", {"correlation_id": correlation_id})
    reply["response_type"] = "ephemeral"
    return reply


async def report_error(exc: BaseException, respond: Any, metrics: Metrics | None = None) -> None:
    """Send the error reply through a response_url `respond`, never raising."""
    try:
        await respond(**error_reply(exc, metrics), replace_original=False)
    except Exception:  # the user could not be told; the log still has it
        log.exception("could not report an error to the user")
