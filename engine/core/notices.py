"""What the engine wants said in Slack, independent of how Slack renders it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Notice(BaseModel):
    """One message the bot should post, or edit when `key` was posted before.

    `key` names a living Slack message (``incident:42``); a later Notice with the same key
    edits it. `thread_key` posts into the thread of the message with that key. `template`
    is a path under ``templates/slack/`` without suffix; `context` must be JSON-serializable.
    """

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=200)
    channel: str = Field(min_length=1, max_length=80)
    template: str = Field(min_length=1, max_length=120)
    context: dict[str, Any] = Field(default_factory=dict)
    thread_key: str | None = None
