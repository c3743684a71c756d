"""What hypotheses say in Slack: evidence, buttons, the likely-cause line (pure functions).

The thread reply is a typed `RcaHypotheses`; templates/slack/rca/ words its buttons and their
confirm dialog, the engine hands over what they do and the facts (model, alias, version, runbook).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import numpy as np

from engine.core.notices import Button, Facts, MessageData, register_actions
from engine.models.messages import ROLLBACK, parse_button_value, rollback
from engine.ports import ServiceSignals
from engine.rca.candidates import Candidates, points_between
from engine.rca.config import RcaConfig
from engine.rca.types import Hypothesis
from engine.runbooks.actions import OPEN as RUN_RUNBOOK

# Button ids; bot/ids.py re-exports these so engine and bot agree.
SHOW, CONFIRM, WRONG = register_actions("rca", "rca.show", "rca.confirm", "rca.wrong")
MODEL_CHANGE = "model promotion"


class Change(Facts):
    """A change event a hypothesis points at, with what its source recorded about it."""

    kind: str
    service: str
    description: str
    at: str | None
    source: str | None = None
    url: str | None = None
    model: str | None = None
    alias: str | None = None
    from_version: int | None = None
    to_version: int | None = None
    move: str | None = None  # an alias move's kind: promote, rollback, outside (engine/rca/changes.py)
    request_id: int | None = None


class HypothesisItem(Facts):
    """One ranked hypothesis as the reply shows it: its evidence, verdicts and buttons."""

    rank: int
    name: str
    service: str
    metric: str | None
    confidence: float
    signal: str
    since: str | None
    direction: str
    deviation: float
    explains: list[str]
    notes: list[str]
    lead_s: int | None
    graph_url: str | None
    before: str | None
    after: str | None
    change: Change | None
    promql: str | None = None
    verdicts: list[str]
    buttons: list[Button]
    since_then: str | None = None  # what moved its model's alias since its change (engine/rca/view.later_moves)


class RcaHypotheses(MessageData):
    """The hypotheses reply in an incident's thread."""

    TEMPLATE = "rca/hypotheses"
    incident_id: int
    title: str
    analysis_id: int
    hypotheses: list[HypothesisItem]
    problems: list[str]
    more_problems: int
    signals: int
    services: int
    elapsed_ms: int


def _iso(ts: float | None) -> str | None:
    # Stored as a time, shown as a date token (each reader's own zone); rows from before show their "HH:MM UTC".
    return datetime.fromtimestamp(ts, timezone.utc).isoformat() if ts is not None else None


def _lead(s: int | None) -> str:
    # " 4 min before the alert": the card's stored line names no clock time (it is read in every zone).
    if s is None or s == 0:
        return ""
    n = abs(s)
    return f" {n} s {'before' if s > 0 else 'after'} the alert" if n < 120 else \
        f" {round(n / 60)} min {'before' if s > 0 else 'after'} the alert"


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1e4 else f"{x:,.0f}"


def evidence(h: Hypothesis, cand: Candidates, source: ServiceSignals, cfg: RcaConfig) -> dict[str, Any]:
    """Return one hypothesis as the message shows it: signal, onset, size, what it explains, link."""
    ev, onset = h.evidence, cand.onset.timestamp()
    out: dict[str, Any] = {
        "name": h.name, "service": h.service, "metric": h.metric, "confidence": h.confidence,
        "signal": ev.signal, "since": _iso(ev.onset), "direction": ev.direction,
        "deviation": ev.deviation, "explains": list(ev.explains), "notes": list(ev.notes),
        "lead_s": int(onset - ev.onset) if ev.onset is not None else None, "graph_url": None,
        "before": None, "after": None, "change": None}
    if h.metric is not None:
        series = cand.inp.series.get(h.name)
        promql = cand.queries.get(h.name)
        if series is not None:
            base = points_between(series, cand.start.timestamp(), (ev.onset or onset) - 1)
            after = points_between(series, ev.onset or onset, cand.end.timestamp())
            if base.size and after.size:
                peak = after[np.argmax(np.abs(after - np.median(base)))]
                out["before"], out["after"] = _fmt(float(np.median(base))), _fmt(float(peak))
        if promql:
            out["promql"] = promql
            out["graph_url"] = source.link(promql, cand.start, cand.end, cfg.step_s)
    if ev.change is not None:
        out["change"] = {"kind": ev.change.kind, "service": ev.change.service,
                         "description": ev.change.description, "at": _iso(ev.change.time),
                         **{k: v for k, v in cand.change_meta.get(ev.change, {}).items() if v is not None}}
    return out


def actions(rank: int, item: dict[str, Any], analysis_id: int, runbook: str | None) -> list[dict[str, Any]]:
    """Return a hypothesis's buttons as stored: verdicts, rollback when a model move leads, its runbook."""
    value = f"{analysis_id}:{rank}"
    out = [Button(action_id=CONFIRM, value=value, style="primary"), Button(action_id=WRONG, value=value)]
    change = item.get("change") or {}
    if rank == 1 and change.get("kind") == MODEL_CHANGE and change.get("model"):
        back = rollback(change["model"], change.get("alias") or "champion", change.get("from_version"))
        out.append(back.model_copy(update={"confirm": True}))
    if runbook:
        out.append(Button(action_id=RUN_RUNBOOK, value=runbook, facts={"runbook": runbook}))
    return [b.model_dump(mode="json") for b in out]


def stored_button(b: dict[str, Any]) -> Button:
    """Read back a stored button; one stored with its label (before templates worded them) too."""
    if "label" not in b:
        return Button.model_validate(b)
    if b["action_id"] == ROLLBACK:
        model, version, alias = parse_button_value(b["value"])
        return rollback(model, alias or "champion", version).model_copy(update={"confirm": bool(b.get("confirm"))})
    facts: dict[str, str | int | float | bool | None] = {"runbook": b["value"]} if b["action_id"] == RUN_RUNBOOK else {}
    return Button(action_id=b["action_id"], value=b["value"], style=b.get("style"), facts=facts)


def heading(h: dict[str, Any]) -> str:
    """Return what the reply calls a stored hypothesis: "config on db", "db saturation"."""
    if h.get("metric") is None and h.get("change"):
        return f"{h['change']['kind']} on {h['service']}"
    return f"{h.get('service', '')} {h.get('metric') or ''}".strip() or str(h.get("name", ""))


def likely_cause(top: dict[str, Any]) -> str:
    """Return the one-line "likely cause" the incident message shows."""
    if top.get("metric") is None and top.get("change"):
        c = top["change"]
        return f"{c['kind']} on {c['service']}{_lead(top.get('lead_s'))}: {c['description']}"[:280]
    what = f"{top['service']} {top['metric']}"
    size = f" {top['direction']} {top['deviation']:.1f}σ" if top.get("direction") else ""
    since = f" since{_lead(top.get('lead_s'))}" if top.get("lead_s") else ""
    return f"{what}{size}{since} ({top['confidence'] * 100:.0f}% confidence)"[:280]


def _buttons(h: dict[str, Any], moved_since: str | None) -> list[Button]:
    # A rollback whose alias has moved on since would undo someone else's later move: not offered.
    out = [stored_button(b) for b in h.get("buttons", [])]
    return [b for b in out if b.action_id != ROLLBACK] if moved_since else out


def hypotheses_context(incident: dict[str, Any], analysis_id: int, items: list[dict[str, Any]],
                       verdicts: dict[int, list[str]], problems: list[str], signals: int,
                       services: int, elapsed_ms: int, later: dict[int, str] | None = None) -> RcaHypotheses:
    """Return the `rca/hypotheses` thread reply from an analysis's stored hypotheses and later alias moves."""
    later = later or {}
    return RcaHypotheses(
        incident_id=incident["id"], title=incident["title"], analysis_id=analysis_id,
        hypotheses=[HypothesisItem.model_validate({**h, "rank": i + 1, "verdicts": verdicts.get(i + 1, []),
                                                   "since_then": later.get(i + 1),
                                                   "buttons": _buttons(h, later.get(i + 1))})
                    for i, h in enumerate(items)],
        problems=problems[:3], more_problems=max(0, len(problems) - 3),
        signals=signals, services=services, elapsed_ms=elapsed_ms)
