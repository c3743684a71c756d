"""The incident card as typed facts: what the alert service states and what other features add.

Other features add to a card through the enrich stage (engine/alerts/enrich.py): they set its
typed fields (`likely_cause`, `extra_actions` as Buttons, `suggested_runbooks`...). The card is
the one message in the project built up by several features, so unlike other MessageData its
fields are assignable (validated on assignment); everything else about it is as typed.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ConfigDict, Field, model_validator

from engine.core.notices import Button, Facts, MessageData


class CardLead(Facts):
    """What the incident's first alert says (its summary and description split around times)."""

    alertname: str | None = None
    value: str | None = None
    summary: list[dict[str, str]] = Field(default_factory=list)
    description: list[dict[str, str]] = Field(default_factory=list)


class CardLink(Facts):
    """A link button: the alert's source, its runbook or a dashboard."""

    text: str
    url: str
    kind: str


class CardOwner(Facts):
    """The team owning the incident, its Slack group and (set by the on-call extension) who is on call."""

    model_config = ConfigDict(frozen=False, extra="forbid", validate_assignment=True)

    team: str
    usergroup: str | None = None
    oncall: list[str] | None = None


class CardRoom(Facts):
    """The incident's own Slack channel."""

    id: str
    name: str | None = None


class SuggestedRunbook(Facts):
    """A runbook whose `match` labels fit the incident's alerts (its Run... button)."""

    name: str = Field(min_length=1, max_length=200)


class IncidentCard(MessageData):
    """An incident's one living message; the fields after `commander_name` are what extensions add.

    Defaults are what a card stored before the field existed meant, so old stored cards read back.
    """

    model_config = ConfigDict(frozen=False, extra="forbid", validate_assignment=True)
    TEMPLATE = "alerts/incident"

    id: int
    title: str
    severity: str
    status: str
    alert_count: int
    firing_count: int
    services: list[str]
    alertnames: list[str]
    opened_at: str | None
    acked_at: str | None = None
    acked_by: str | None = None
    resolved_at: str | None = None
    resolved_by: str | None = None
    resolve_due_at: str | None = None
    snoozed_until: str | None = None
    reopen_count: int = 0
    flaps: int = 0
    silences: list[str] = Field(default_factory=list)
    flapping: bool = False
    recurrence_of: int | None = None  # the incident this one recurs (the template words the line)
    recurrence_nth: int = 0  # how many times today, counting the first (0 or 1: not counted)
    snooze_choices_s: list[int] = Field(default_factory=list)
    silence_enabled: bool = True
    silence_applies: bool = True
    sources: list[str] = Field(default_factory=list)
    lead: CardLead | None = None
    more_alerts: int = 0
    links: list[CardLink] = Field(default_factory=list)
    owner: CardOwner | None = None
    commander: str | None = None
    commander_name: str | None = None
    # Added by other features (engine/alerts/enrich.py runs them).
    suggested_runbooks: list[SuggestedRunbook] = Field(default_factory=list)
    extra_actions: list[Button] = Field(default_factory=list)  # after the built-in buttons, open incidents
    resolved_actions: list[Button] = Field(default_factory=list)  # the buttons of a resolved incident
    likely_cause: str | None = None
    confirmed_cause: str | None = None  # "db saturation, confirmed by bob": shown open or resolved
    auto_status: str | None = None
    merged_into: int | None = None
    incident_channel: CardRoom | None = None
    # The copy of the card pinned in the incident channel (engine/warroom/service.py mirror).
    in_incident_channel: bool = False
    origin_channel: str | None = None
    pin: bool = False

    @model_validator(mode="before")
    @classmethod
    def _stored_before(cls, data: Any) -> Any:
        """Read cards stored before these fields were typed: runbook names, buttons with their label."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        line = out.pop("recurrence", None)  # the engine's words before the facts: "recurrence of #12 (3rd ...)"
        if line and out.get("recurrence_of") is None:
            m = re.match(r"recurrence of #(\d+)(?: \((\d+))?", line)
            if m:
                out["recurrence_of"], out["recurrence_nth"] = int(m[1]), int(m[2] or 0)
        out["suggested_runbooks"] = [{"name": r} if isinstance(r, str) else r
                                     for r in out.get("suggested_runbooks") or []]
        out["resolved_actions"] = [{k: v for k, v in b.items() if k != "text"} if isinstance(b, dict) else b
                                   for b in out.get("resolved_actions") or []]
        return out


class IncidentPage(MessageData):
    """The one thread reply that @-mentions the owning group of a new incident."""

    TEMPLATE = "alerts/incident_page"

    incident: IncidentCard
    usergroup: str
    team: str


class ChangeFacts(Facts):
    """One incident change as stored and rendered: its kind and facts (engine/alerts/lifecycle.Change).

    templates/slack/alerts/_changes.j2 words every kind; times are ISO strings it renders as date tokens.
    """

    kind: str
    who: str | None = None
    alertname: str | None = None
    service: str | None = None
    severity: str | None = None
    before: str | None = None
    at: str | None = None
    count: int | None = None
    seconds: float | None = None
    incident: int | None = None
    hours: float | None = None
    text: str | None = None
    alerts: list[str] | None = None
    silences: list[str] | None = None
    matchers: list[str] | None = None
    outcome: str | None = None


_NO_FACTS: dict[str, Any] = dict.fromkeys(ChangeFacts.model_fields)


def stored_facts(facts: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return a decision's stored facts with every change field present (stored rows leave out the empty ones)."""
    if not facts:
        return None
    if "kind" in facts:
        return {**_NO_FACTS, **facts}
    if "changes" in facts:  # a notify decision: the changes it weighed, each with its count
        return {**facts, "changes": [{**line, "change": {**_NO_FACTS, **line.get("change", {})}}
                                     for line in facts["changes"]]}
    return facts


class ChangeLine(Facts):
    """One change of a batch and how often it happened."""

    change: ChangeFacts
    count: int


class AlertGroup(Facts):
    """An incident's alerts of one name: how many, how many firing, on which services."""

    alertname: str
    total: int
    firing: int
    services: list[str]
    fingerprint: str = ""  # its first alert's, so `/ops why <fingerprint>` has one to take


class IncidentUpdate(MessageData):
    """A thread reply saying what changed in an incident."""

    TEMPLATE = "alerts/incident_update"

    incident: IncidentCard
    at: str | None
    changes: list[ChangeLine]
    until: str | None = None  # set when later growth was folded in: the reply covers at..until
    groups: list[AlertGroup]
    more_alerts: int
