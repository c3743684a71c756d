"""What the engine wants said in Slack, independent of how Slack renders it.

A family states the facts of a message as a typed `MessageData` (its buttons as `Button`s whose
action ids come from the registry below); `Notice.of` turns that into the JSON the outbox stores.
The words people read (labels, confirm texts) are the templates' job.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# action_id -> the family that registered it (the listener side answers every one of them).
_ACTIONS: dict[str, str] = {}

Fact = str | int | float | bool | None


def register_actions(family: str, *ids: str) -> tuple[str, ...]:
    """Register a family's button action ids and return them (an id belongs to one family)."""
    for action_id in ids:
        owner = _ACTIONS.setdefault(action_id, family)
        if owner != family:
            raise ValueError(f"action id {action_id!r} is already registered by {owner}")
    return ids


def registered_actions() -> dict[str, str]:
    """Return every registered action id and its family."""
    return dict(_ACTIONS)


class Button(BaseModel):
    """A button as facts: what it does (a registered action id), the ids it carries, how it looks.

    `facts` are what the template needs to word the label or the confirm dialog (a version, a
    runbook's name); `confirm` asks the template to put a confirm dialog in front of it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    action_id: str = Field(min_length=1, max_length=255)
    value: str = Field(max_length=2000)
    style: Literal["primary", "danger"] | None = None
    confirm: bool = False
    facts: dict[str, Fact] = Field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """Return the button as a message context stores it."""
        return self.model_dump(mode="json")

    @field_validator("action_id")
    @classmethod
    def _registered(cls, v: str) -> str:
        if v not in _ACTIONS:
            raise ValueError(f"action id {v!r} is not registered (engine.core.notices.register_actions)")
        return v


class Facts(BaseModel):
    """A typed, immutable part of a message (a metric row, a hypothesis); JSON when stored."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class MessageData(Facts):
    """The typed facts of one message family's message; `TEMPLATE` names the template rendering it."""

    TEMPLATE: ClassVar[str]

    def as_context(self) -> dict[str, Any]:
        """Return the JSON the outbox stores and the template reads."""
        return self.model_dump(mode="json")


class Notice(BaseModel):
    """One message the bot should post, or edit when `key` was posted before.

    `key` names a living Slack message (``incident:42``); a later Notice with the same key
    edits it. `thread_key` posts into the thread of the message with that key. `template`
    is a path under ``templates/slack/`` without suffix; `context` is the JSON form of a
    `MessageData` (build it with `Notice.of`).
    """

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=200)
    channel: str = Field(min_length=1, max_length=80)
    template: str = Field(min_length=1, max_length=120)
    context: dict[str, Any] = Field(default_factory=dict)
    thread_key: str | None = None

    @classmethod
    def of(cls, data: MessageData, *, key: str, channel: str, thread_key: str | None = None) -> Notice:
        """Build the notice of a typed message: its template and its JSON context come from `data`."""
        if not isinstance(data, MessageData):
            raise TypeError(f"a Notice is built from a MessageData, not {type(data).__name__}")
        return cls(key=key, channel=channel, template=data.TEMPLATE, context=data.as_context(),
                   thread_key=thread_key)
