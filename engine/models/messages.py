"""Notices the model feature emits: new version, alias moved outside, failed registration.

Each message is a typed `MessageData`; the buttons carry their action, ids and facts, and the
templates under templates/slack/models/ word them.
"""

from __future__ import annotations

from pydantic import Field

from engine.core.bounds import parse_int
from engine.core.notices import Button, Facts, MessageData, Notice, register_actions
from engine.models.types import ModelVersion

# Button action ids; bot/ids.py re-exports these so engine and bot agree.
PROMOTE_CHALLENGER, PROMOTE_CHAMPION, ROLLBACK = register_actions(
    "models", "models_promote_challenger", "models_promote_champion", "models_rollback")


def button_value(model: str, version: int | None = None, alias: str | None = None) -> str:
    """Return a button value carrying only ids: `model|version|alias`."""
    return f"{model}|{version if version is not None else ''}|{alias or ''}"


def parse_button_value(value: str) -> tuple[str, int | None, str | None]:
    """Split a button value into (model, version or None, alias or None)."""
    model, _, rest = value.partition("|")
    version, _, alias = rest.partition("|")
    return model, (parse_int(version, "model version") if version else None), (alias or None)


class MetricRow(Facts):
    """One metric of a new version beside the champion's value at registration."""

    metric: str
    candidate: float | None
    champion: float | None
    delta: float | None


class NewVersion(MessageData):
    """The card announcing a version that finished registration (re-rendered as aliases move)."""

    TEMPLATE = "models/new_version"
    model: str
    version: int
    run_id: str | None
    tags: dict[str, str]
    champion_version: int | None
    metrics: list[MetricRow]
    buttons: list[Button]
    holds: list[str] = Field(default_factory=list)


class RegistrationFailed(MessageData):
    """A version that failed registration."""

    TEMPLATE = "models/registration_failed"
    model: str
    version: int
    run_id: str | None
    status: str
    message: str


class AliasMovedOutside(MessageData):
    """An alias that moved without opsbot, with a rollback button when there is a version to go back to."""

    TEMPLATE = "models/alias_moved_outside"
    model: str
    alias: str
    from_version: int | None
    to_version: int | None
    actor: str
    change_id: int
    buttons: list[Button]
    later: str = ""  # what replaced to_version since (engine/models/request_cards.py), once it has been
    later_at: str | None = None


def metric_rows(cand: dict[str, float], champ: dict[str, float] | None, key: list[str], limit: int = 8) -> list[MetricRow]:
    """Return metric rows (key metrics first) with the champion's value and the delta."""
    names = [k for k in key if k in cand or (champ and k in champ)]
    names += sorted(k for k in cand if k not in names)
    rows = []
    for name in names[:limit]:
        c, h = cand.get(name), (champ or {}).get(name)
        rows.append(MetricRow(metric=name, candidate=c, champion=h,
                              delta=(c - h) if c is not None and h is not None else None))
    return rows


def new_version_notice(channel: str, mv: ModelVersion, metrics: list[MetricRow], champion: int | None) -> Notice:
    """Announce a version that finished registration, with promote buttons."""
    data = NewVersion(model=mv.name, version=mv.version, run_id=mv.run_id, tags=mv.tags, champion_version=champion,
                      metrics=metrics, buttons=promote_buttons(mv.name, mv.version))
    return Notice.of(data, key=f"model:{mv.name}:v{mv.version}", channel=channel)


def promote_buttons(model: str, version: int) -> list[Button]:
    """Return every promote button a version's card can offer (the card drops those it holds)."""
    return [
        Button(action_id=PROMOTE_CHALLENGER, value=button_value(model, version, "challenger"),
               facts={"alias": "challenger"}),
        Button(action_id=PROMOTE_CHAMPION, value=button_value(model, version, "champion"), style="primary",
               facts={"alias": "champion"}),
    ]


def failed_registration_notice(channel: str, mv: ModelVersion) -> Notice:
    """Say that a version failed registration."""
    data = RegistrationFailed(model=mv.name, version=mv.version, run_id=mv.run_id, status=mv.status,
                              message=mv.status_message)
    return Notice.of(data, key=f"model:{mv.name}:v{mv.version}", channel=channel)


def outside_move_notice(channel: str, change_id: int, model: str, alias: str, from_version: int | None,
                        to_version: int | None, actor: str) -> Notice:
    """Say that an alias moved without opsbot, by an unknown actor, with a rollback button."""
    buttons = [rollback(model, alias, from_version)] if from_version is not None else []
    data = AliasMovedOutside(model=model, alias=alias, from_version=from_version, to_version=to_version,
                             actor=actor, change_id=change_id, buttons=buttons)
    return Notice.of(data, key=f"model:{model}:change:{change_id}", channel=channel)


def rollback(model: str, alias: str = "champion", version: int | None = None) -> Button:
    """Return a rollback button (its facts name the model, alias and target version for the label)."""
    return Button(action_id=ROLLBACK, value=button_value(model, version, alias), style="danger",
                  facts={"model": model, "alias": alias, "version": version})

