"""Notices the model feature emits: new version, alias moved outside, failed registration."""

from __future__ import annotations

from typing import Any

from engine.core.bounds import parse_int
from engine.models.types import ModelVersion
from engine.core.notices import Notice

# Button action ids; bot/ids.py re-exports these so engine and bot agree.
PROMOTE_CHALLENGER, PROMOTE_CHAMPION, ROLLBACK = "models_promote_challenger", "models_promote_champion", "models_rollback"


def button_value(model: str, version: int | None = None, alias: str | None = None) -> str:
    """Return a button value carrying only ids: `model|version|alias`."""
    return f"{model}|{version if version is not None else ''}|{alias or ''}"


def parse_button_value(value: str) -> tuple[str, int | None, str | None]:
    """Split a button value into (model, version or None, alias or None)."""
    model, _, rest = value.partition("|")
    version, _, alias = rest.partition("|")
    return model, (parse_int(version, "model version") if version else None), (alias or None)


def metric_rows(cand: dict[str, float], champ: dict[str, float] | None, key: list[str], limit: int = 8) -> list[dict[str, Any]]:
    """Return metric rows (key metrics first) with the champion's value and the delta."""
    names = [k for k in key if k in cand or (champ and k in champ)]
    names += sorted(k for k in cand if k not in names)
    rows = []
    for name in names[:limit]:
        c, h = cand.get(name), (champ or {}).get(name)
        rows.append({"metric": name, "candidate": c, "champion": h,
                     "delta": (c - h) if c is not None and h is not None else None})
    return rows


def new_version_notice(channel: str, mv: ModelVersion, metrics: list[dict[str, Any]],
                       champion: int | None) -> Notice:
    """Announce a version that finished registration, with promote buttons."""
    return Notice(key=f"model:{mv.name}:v{mv.version}", channel=channel, template="models/new_version", context={
        "model": mv.name, "version": mv.version, "run_id": mv.run_id, "tags": mv.tags,
        "champion_version": champion, "metrics": metrics, "buttons": promote_buttons(mv.name, mv.version)})


def promote_buttons(model: str, version: int) -> list[dict[str, Any]]:
    """Return every promote button a version's card can offer (the card drops those it holds)."""
    return [
        {"label": "Promote to challenger", "action_id": PROMOTE_CHALLENGER,
         "value": button_value(model, version, "challenger")},
        {"label": "Promote to champion", "action_id": PROMOTE_CHAMPION,
         "value": button_value(model, version, "champion"), "style": "primary"},
    ]


def failed_registration_notice(channel: str, mv: ModelVersion) -> Notice:
    """Say that a version failed registration."""
    return Notice(key=f"model:{mv.name}:v{mv.version}", channel=channel, template="models/registration_failed",
                  context={"model": mv.name, "version": mv.version, "run_id": mv.run_id,
                           "status": mv.status, "message": mv.status_message})


def outside_move_notice(channel: str, change_id: int, model: str, alias: str, from_version: int | None,
                        to_version: int | None, actor: str) -> Notice:
    """Say that an alias moved without opsbot, by an unknown actor, with a rollback button."""
    buttons = []
    if from_version is not None:
        buttons.append({"label": f"Roll back to v{from_version}", "action_id": ROLLBACK,
                        "value": button_value(model, from_version, alias), "style": "danger"})
    return Notice(key=f"model:{model}:change:{change_id}", channel=channel, template="models/alias_moved_outside",
                  context={"model": model, "alias": alias, "from_version": from_version,
                           "to_version": to_version, "actor": actor, "change_id": change_id, "buttons": buttons})


def rollback_button(model: str, alias: str = "champion", version: int | None = None) -> dict[str, Any]:
    """Return a one-click rollback button other features (incidents, drift) add to their notices."""
    target = f" to v{version}" if version is not None else ""
    return {"label": f"Roll back {model} {alias}{target}", "action_id": ROLLBACK,
            "value": button_value(model, version, alias), "style": "danger"}
