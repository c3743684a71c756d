"""What hypotheses say in Slack: evidence lines, buttons, the likely-cause line (pure functions)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import numpy as np

from engine.models.messages import rollback_button
from engine.ports import ServiceSignals
from engine.rca.candidates import Candidates, points_between
from engine.rca.config import RcaConfig
from engine.rca.types import Hypothesis

# Button ids; bot/ids.py re-exports these so engine and bot agree.
SHOW, CONFIRM, WRONG = "rca.show", "rca.confirm", "rca.wrong"
RUN_RUNBOOK = "runbook.open"  # handled by the runbooks listener (opens its parameter modal)
MODEL_CHANGE = "model promotion"


def _hhmm(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%H:%M UTC") if ts is not None else None


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1e4 else f"{x:,.0f}"


def evidence(h: Hypothesis, cand: Candidates, source: ServiceSignals, cfg: RcaConfig) -> dict[str, Any]:
    """Return one hypothesis as the message shows it: signal, onset, size, what it explains, link."""
    ev, onset = h.evidence, cand.onset.timestamp()
    out: dict[str, Any] = {
        "name": h.name, "service": h.service, "metric": h.metric, "confidence": round(h.confidence, 3),
        "signal": ev.signal, "since": _hhmm(ev.onset), "direction": ev.direction,
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
                         "description": ev.change.description, "at": _hhmm(ev.change.time),
                         **{k: v for k, v in cand.change_meta.get(ev.change, {}).items() if v is not None}}
    return out


def actions(rank: int, item: dict[str, Any], analysis_id: int, runbook: str | None) -> list[dict[str, Any]]:
    """Return a hypothesis's buttons: verdicts, rollback when a model move leads, its runbook."""
    value = f"{analysis_id}:{rank}"
    out = [{"label": "Confirmed", "action_id": CONFIRM, "value": value, "style": "primary"},
           {"label": "Wrong", "action_id": WRONG, "value": value}]
    change = item.get("change") or {}
    if rank == 1 and change.get("kind") == MODEL_CHANGE and change.get("model"):
        button = rollback_button(change["model"], change.get("alias") or "champion", change.get("from_version"))
        button["confirm"] = {"title": "Roll back?", "confirm": "Roll back", "deny": "Cancel",
                             "text": f"Return `{change.get('alias')}` of {change['model']} to "
                                     f"v{change.get('from_version')} (policy decides whether it needs approval)."}
        out.append(button)
    if runbook:
        out.append({"label": f"Run {runbook}", "action_id": RUN_RUNBOOK, "value": runbook})
    return out


def likely_cause(top: dict[str, Any]) -> str:
    """Return the one-line "likely cause" the incident message shows."""
    if top.get("metric") is None and top.get("change"):
        c = top["change"]
        return f"{c['kind']} on {c['service']} at {c['at']}: {c['description']}"[:280]
    what = f"{top['service']} {top['metric']}"
    size = f" {top['direction']} {top['deviation']:.1f}σ" if top.get("direction") else ""
    since = f" since {top['since']}" if top.get("since") else ""
    return f"{what}{size}{since} ({top['confidence'] * 100:.0f}% confidence)"[:280]


def hypotheses_context(incident: dict[str, Any], analysis_id: int, items: list[dict[str, Any]],
                       verdicts: dict[int, list[str]], problems: list[str], signals: int,
                       services: int, elapsed_ms: int) -> dict[str, Any]:
    """Return the context of `rca/hypotheses` (the thread reply)."""
    return {"incident_id": incident["id"], "title": incident["title"], "analysis_id": analysis_id,
            "hypotheses": [{**h, "rank": i + 1, "verdicts": verdicts.get(i + 1, [])} for i, h in enumerate(items)],
            "problems": problems[:3], "more_problems": max(0, len(problems) - 3),
            "signals": signals, "services": services, "elapsed_ms": elapsed_ms}
