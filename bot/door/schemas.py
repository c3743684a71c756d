"""One schema per Slack payload type, checked at the door before Bolt or a listener reads it.

Each model types the fields Bolt's context builder, Bolt's matchers and our listeners read,
so a signed body that passes cannot make them raise; everything else passes through untouched
(`extra="allow"`): Slack adds fields over time and we must not refuse them.
"""

from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.core.jsonbound import loads_bounded
from bot.ids import DRIFT_COMPARE_MODAL
from bot.listeners.alert_corrections import MERGE_FORM, SPLIT_FORM
from bot.listeners.runbooks import MODAL_CALLBACK as RUNBOOK_MODAL
from engine.alerts.messages import NOTE_MODAL as ALERTS_NOTE_MODAL

# The keys each of our modals puts in its private_metadata, and its submit listener reads.
VIEW_METADATA_KEYS: dict[str, tuple[str, ...]] = {
    RUNBOOK_MODAL: ("name", "channel"),
    DRIFT_COMPARE_MODAL: ("model", "channel"),
    SPLIT_FORM: ("incident", "channel"),
    MERGE_FORM: ("incident", "channel"),
    ALERTS_NOTE_MODAL: ("incident", "channel"),
}


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Ref(_Open):
    """An object Slack names by id: team, channel, enterprise."""

    id: str


class UserRef(_Open):
    """The `user` object of an interaction."""

    id: str = Field(min_length=1)
    username: str | None = None
    name: str | None = None
    team_id: str | None = None


IdOrRef = Union[str, Ref, None]


class Readable(_Open):
    """The fields Bolt's context builder reads at any level it recurses into."""

    user: Union[str, UserRef, None] = None
    user_id: str | None = None
    team: IdOrRef = None
    team_id: str | None = None
    enterprise: IdOrRef = None
    enterprise_id: str | None = None
    channel: IdOrRef = None
    channel_id: str | None = None
    thread_ts: str | None = None
    user_team: str | None = None
    is_enterprise_install: Union[bool, str, None] = None
    is_ext_shared_channel: bool | None = None
    authorizations: list[Readable] | None = None
    event: Readable | None = None
    message: Readable | None = None
    previous_message: Readable | None = None
    item: Readable | None = None
    assistant_thread: Readable | None = None
    function_execution_id: str | None = None
    function_data: dict[str, Any] | None = None
    bot_access_token: str | None = None
    response_url: str | None = None
    response_urls: list[dict[str, str]] | None = None
    view: View | None = None


class Interaction(Readable):
    """What every interaction payload carries: who acted, in which team."""

    user: UserRef
    trigger_id: str | None = None
    api_app_id: str | None = None
    token: str | None = None
    container: dict[str, Any] | None = None


class Option(_Open):
    """A selected option of a select menu."""

    value: str


class Action(_Open):
    """One element of block_actions.actions."""

    action_id: str
    block_id: str | None = None
    type: str | None = None
    value: str | None = None
    selected_option: Option | None = None


class StateField(_Open):
    """One input's state in view.state.values[block_id][action_id]."""

    type: str | None = None
    value: str | None = None
    selected_option: Option | None = None


class ViewState(_Open):
    """view.state: values by block id, then by action id."""

    values: dict[str, dict[str, StateField]]


class View(_Open):
    """The view of a view_submission or view_closed (and of a block action inside a modal)."""

    id: str | None = None
    type: str | None = None
    callback_id: str = ""
    private_metadata: str = ""
    state: ViewState | None = None
    team_id: str | None = None
    app_installed_team_id: str | None = None

    @field_validator("private_metadata")
    @classmethod
    def _metadata_is_ours(cls, value: str) -> str:
        # Every view we open carries a JSON object of strings; anything else was not sent by us.
        if value:
            try:
                meta = loads_bounded(value, max_depth=1)
            except ValueError:
                raise ValueError("private_metadata is not JSON") from None
            if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
                raise ValueError("private_metadata is not an object of strings")
        return value


class SlashCommand(Readable):
    """A slash command's form fields."""

    command: str = Field(min_length=2)
    text: str = ""
    user_id: str = Field(min_length=1)
    user_name: str | None = None
    channel_id: str = ""
    team_id: str = ""
    trigger_id: str | None = None
    response_url: str = ""
    ssl_check: str | None = None


class BlockActions(Interaction):
    """A click on a button or a choice in a menu (type block_actions)."""

    type: Literal["block_actions"]
    actions: list[Action] = Field(min_length=1)


class SubmittedView(View):
    """A submitted view always carries its type (Bolt reads it) and its inputs' state."""

    type: str
    state: ViewState


class ViewSubmission(Interaction):
    """A submitted modal (type view_submission)."""

    type: Literal["view_submission"]
    view: SubmittedView

    @model_validator(mode="after")
    def _metadata_has_keys(self) -> ViewSubmission:
        needed = VIEW_METADATA_KEYS.get(self.view.callback_id, ())
        meta = loads_bounded(self.view.private_metadata) if needed and self.view.private_metadata else {}
        missing = [k for k in needed if k not in meta]
        if missing:
            raise ValueError(f"view.private_metadata lacks {', '.join(missing)}")
        return self


class ViewClosed(Interaction):
    """A closed modal (type view_closed)."""

    type: Literal["view_closed"]
    view: View


class Shortcut(Interaction):
    """A global or message shortcut (type shortcut / message_action)."""

    type: Literal["shortcut", "message_action"]
    callback_id: str


class EventBody(Readable):
    """The inner event of an event_callback."""

    type: str
    subtype: str | None = None
    bot_id: str | None = None
    channel_type: str | None = None
    tab: str | None = None


class EventCallback(Readable):
    """An Events API delivery (type event_callback)."""

    type: Literal["event_callback"]
    event: EventBody
    event_id: str | None = None
    api_app_id: str | None = None


class UrlVerification(_Open):
    """The Events API handshake (type url_verification)."""

    type: Literal["url_verification"]
    challenge: str


class SslCheck(_Open):
    """Slack's certificate probe: a form with ssl_check=1."""

    ssl_check: str
    token: str | None = None


SCHEMAS: dict[str, type[BaseModel]] = {
    "command": SlashCommand, "block_actions": BlockActions, "view_submission": ViewSubmission,
    "view_closed": ViewClosed, "shortcut": Shortcut, "message_action": Shortcut,
    "event_callback": EventCallback, "url_verification": UrlVerification, "ssl_check": SslCheck,
}


Readable.model_rebuild()
