"""What a drift check says in Slack: typed message data and the buttons' ids (pure functions).

The templates under templates/slack/drift/ word the buttons; the engine hands over their facts.
"""

from __future__ import annotations

import json
from typing import Optional

from engine.core.notices import Button, Facts, MessageData, register_actions
from engine.drift.describe import human_number, score_text
from engine.drift.types import DriftReport
from engine.models.messages import ROLLBACK
from engine.runbooks.actions import OPEN as RUN_RUNBOOK

# Button ids; bot/ids.py re-exports these so engine and bot agree. The modal's callback id is
# not a button (no message offers it), so it is not registered.
SHOW_ALL, COMPARE = register_actions("drift", "drift_show_all", "drift_compare")
COMPARE_MODAL = "drift_compare_modal"

MAX_QUALITY = 8


def fingerprint(report: Optional[DriftReport], top: int, error: Optional[str] = None) -> str:
    """Return what a scheduled check compares to the last one: the verdict and top drivers, or the error."""
    if error is not None:
        return json.dumps(["error", error])[:1000]
    drift, names = report.fingerprint(top) if report is not None else (False, ())
    return json.dumps([bool(drift), list(names)])[:1000]


def pct(x: float) -> str:
    """Format a share as a whole percentage."""
    return f"{x * 100:.0f}%"


def short_name(name: str) -> str:
    """Return a file's last path component (messages stay short; errors keep the full path)."""
    if "/" not in name or name.startswith("sql:"):
        return name
    return name.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or name


def serving_text(versions: Optional[list[int]]) -> Optional[str]:
    """Say which versions served, in order: `v3`, `v2 → v3`, or the ends and the count of moves when many."""
    if not versions:
        return None
    if len(versions) > 4:  # a card line, not the history: `/ops history` lists every move
        return f"v{versions[0]} → … → v{versions[-1]} ({len(versions) - 1} moves)"
    return " → ".join(f"v{v}" for v in versions)


class Driver(Facts):
    """One drifted feature as the summary lists it, with its effect over recent checks."""

    name: str
    sentence: str
    trend: list[float]


class DriftSummary(MessageData):
    """A drift check's verdict, its top drivers, data quality and the buttons that act on it."""

    TEMPLATE = "drift/summary"
    model: str
    check_id: int
    dataset_drift: bool
    n_drifted: int
    n_features: int
    share: str
    drift_share: str
    window: str
    reference: str
    reference_rows: str
    current: str
    current_rows: str
    drivers: list[Driver]
    more_drifted: int
    # The drifted features past the drivers, by name: a summary names every column that drifted.
    more_drifted_names: list[str] = []
    quality: list[str]
    more_quality: int
    serving: Optional[str]
    alias: str
    trigger: str
    checked_at: str
    buttons: list[Button]


class CheckFailed(MessageData):
    """A drift check that could not run, and what to do about it."""

    TEMPLATE = "drift/check_failed"
    model: str
    message: str
    hint: Optional[str]
    window: str
    trigger: str
    buttons: list[Button]


class FeatureLine(Facts):
    """One feature of a check: whether it drifted, its sentence, its type, the threshold and the effect size."""

    name: str
    drifted: bool
    sentence: str
    kind: str
    threshold: str
    effect: Optional[float]


class DriftFeatures(MessageData):
    """Every feature of a check, drifted first; the template words each line and splits them into sections."""

    TEMPLATE = "drift/features"
    model: str
    check_id: int
    n_features: int
    n_drifted: int
    features: list[FeatureLine]
    more: int


def summary_context(*, model: str, check_id: int, report: DriftReport, window: str, top: int,
                    trends: dict[str, list[float]], serving: Optional[list[int]], alias: str,
                    trigger: str, checked_at: str, rollback_value: Optional[str] = None,
                    runbook: Optional[str] = None) -> DriftSummary:
    """Return the `drift/summary` message: verdict, share, drivers with trends, quality, buttons."""
    drivers = report.drivers(top)
    quality = [q.message for q in report.quality]
    buttons = [Button(action_id=SHOW_ALL, value=str(check_id)), Button(action_id=COMPARE, value=model)]
    if report.n_drifted and rollback_value is not None:
        buttons.append(Button(action_id=ROLLBACK, value=rollback_value, style="danger", confirm=True,
                              facts={"model": model, "alias": alias}))
    if report.n_drifted and runbook:
        buttons.append(Button(action_id=RUN_RUNBOOK, value=runbook, facts={"runbook": runbook}))
    return DriftSummary(
        model=model, check_id=check_id, dataset_drift=report.dataset_drift,
        n_drifted=report.n_drifted, n_features=report.n_features,
        share=pct(report.share_drifted), drift_share=pct(report.drift_share), window=window,
        reference=short_name(report.reference.name), reference_rows=_rows(report.reference.rows),
        current=short_name(report.current.name), current_rows=_rows(report.current.rows),
        drivers=[Driver(name=f.name, sentence=f.description, trend=trends.get(f.name, [])) for f in drivers],
        more_drifted=max(0, report.n_drifted - len(drivers)),
        more_drifted_names=[f.name for f in report.drivers(report.n_drifted)[len(drivers):]],
        quality=quality[:MAX_QUALITY], more_quality=max(0, len(quality) - MAX_QUALITY),
        serving=serving_text(serving), alias=alias, trigger=trigger, checked_at=checked_at, buttons=buttons)


def failure_context(*, model: str, message: str, hint: Optional[str], window: str, trigger: str) -> CheckFailed:
    """Return the `drift/check_failed` message: a check that could not run, and why."""
    return CheckFailed(model=model, message=message, hint=hint, window=window, trigger=trigger,
                       buttons=[Button(action_id=COMPARE, value=model)])


def features_context(model: str, check_id: int, report: DriftReport, limit: int = 400) -> DriftFeatures:
    """Return the `drift/features` message: every feature's facts, drifted first (the template words them)."""
    lines = [FeatureLine(name=f.name, drifted=f.drifted, sentence=f.description, kind=f.kind,
                         threshold=score_text(f.method, f.threshold), effect=f.effect)
             for f in report.ranked()[:limit]]
    return DriftFeatures(model=model, check_id=check_id, n_features=report.n_features, n_drifted=report.n_drifted,
                         features=lines, more=max(0, len(report.features) - limit))


def _rows(n: Optional[int]) -> str:
    return "?" if n is None else human_number(float(n)) if n >= 10_000 else f"{n:,}"
