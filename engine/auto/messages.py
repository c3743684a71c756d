"""What auto-remediation says in Slack: one typed event message (templates/slack/auto/event.json.j2)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from engine.core.notices import MessageData


class AutoEvent(MessageData):
    """An automatic run, a breaker trip or the kill switch: its kind picks the icon and the mention."""

    TEMPLATE = "auto/event"

    kind: str  # shadow | auto | page | done | tripped | switch
    # What happened, worded by the template: running | not_run | would_run | the run's outcome
    # (succeeded, rolled_back, failed, halted, refused) | tripped | paused | resumed.
    event: str | None = None
    runbook: str | None = None
    by: str | None = None  # who paused or resumed automation
    failures: int | None = None  # failed runs in a row that tripped the breaker
    headline: str | None = None  # the engine's words, in events stored before `event`
    body: str | None = None
    reason: str | None = None
    trigger: str | None = None
    incident: int | None = None
    parameters: dict[str, Any] | None = None
    plan_hash: str | None = None
    request: int | None = None
    progress: list[str] = Field(default_factory=list)  # the run's steps so far (a running automatic run's note)
    state: str = "running"
