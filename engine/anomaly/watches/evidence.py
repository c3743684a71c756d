"""The evidence reply under an anomaly incident: what was seen, what was expected, feedback buttons.

The reply is a typed `AnomalyEvidence`; templates/slack/anomaly/evidence.json.j2 words its buttons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from engine.alerts.repo import A, I
from engine.anomaly.watches import alerting as al
from engine.anomaly.watches.config import WatchConfig
from engine.anomaly.watches.tables import AnomalySeries
from engine.core.notices import Button, Facts, MessageData, Notice, register_actions

if TYPE_CHECKING:
    from engine.alerts.card import IncidentCard

TEMPLATE = "anomaly/evidence"
# action_ids of the feedback buttons (templates/slack/anomaly/evidence.json.j2)
NOT_ANOMALY, USEFUL = register_actions("anomaly", "anomaly.not_anomaly", "anomaly.useful")


class Mark(Facts):
    """One person's feedback on the alert (one per person, their latest)."""

    kind: str
    by: str


class AnomalyEvidence(MessageData):
    """What an anomaly or forecast alert saw and expected, the feedback it got, its feedback buttons."""

    TEMPLATE = TEMPLATE
    incident_id: int
    kind: str
    watch: str
    fingerprint: str
    summary: str
    facts: dict[str, str]
    labels: dict[str, str]
    graph: str | None
    detector: str
    feedback: list[Mark]
    buttons: list[Button]


def evidence_message(ctx: dict[str, Any], feedback: list[dict[str, str]] | None = None) -> AnomalyEvidence:
    """Return the typed reply from its stored facts (the buttons follow from its kind: only anomalies get feedback)."""
    facts = {k: v for k, v in ctx.items() if k not in ("buttons", "feedback")}
    marks = feedback if feedback is not None else ctx.get("feedback", [])
    value = str(ctx["fingerprint"])
    buttons = [Button(action_id=NOT_ANOMALY, value=value), Button(action_id=USEFUL, value=value, style="primary")]
    return AnomalyEvidence.model_validate({**facts, "feedback": marks,
                                           "buttons": buttons if ctx.get("kind") == "anomaly" else []})


async def incident_of(s: Any, fingerprint: str) -> tuple[int, str] | None:
    """Return (incident id, channel) the alert with this fingerprint belongs to, if any."""
    row = (await s.execute(select(I.c.id, I.c.channel).select_from(A.join(I, A.c.incident_id == I.c.id))
                           .where(A.c.fingerprint == fingerprint))).first()
    return (int(row.id), str(row.channel)) if row else None


async def evidence_notices(s: Any, watch: WatchConfig, rows: list[AnomalySeries],
                           alerts: list[tuple[str, dict[str, Any]]]) -> list[Notice]:
    """Return a thread reply per firing alert, and remember where it lives for feedback edits."""
    by_fp = {r.fingerprint: r for r in rows}
    by_forecast = {al.fingerprint(al.FORECAST, r.watch, r.series_key): r for r in rows}
    out: list[Notice] = []
    for kind, alert in alerts:
        if alert["status"] != "firing":
            continue
        found = await incident_of(s, alert["fingerprint"])
        if found is None:  # inhibited or dropped by the pipeline: nothing to reply under
            continue
        inc_id, channel = found
        ctx = evidence_message(al.evidence_context(watch, alert, inc_id, kind)).as_context()
        where: dict[str, Any] = {"key": f"anomaly-evidence:{alert['fingerprint']}:{alert['startsAt']}", "channel": channel,
                 "thread_key": f"incident:{inc_id}", "context": ctx}
        if kind == al.ANOMALY and alert["fingerprint"] in by_fp:
            r = by_fp[alert["fingerprint"]]
            r.evidence = {**(r.evidence or {}), "notice": where}
        elif alert["fingerprint"] in by_forecast:
            r = by_forecast[alert["fingerprint"]]
            r.forecast = {**(r.forecast or {}), "notice": where}
        out.append(Notice.of(evidence_message(ctx), key=where["key"], channel=channel,
                             thread_key=where["thread_key"]))
    return out


def edited(where: dict[str, Any], feedback: list[dict[str, str]]) -> Notice:
    """Return the evidence reply again, with the feedback it received (edits the same message)."""
    return Notice.of(evidence_message(where["context"], feedback), key=where["key"], channel=where["channel"],
                     thread_key=where["thread_key"])


def feedback_buttons(card: IncidentCard) -> None:
    """Add "Not an anomaly" and "Useful" to the card of an incident with anomaly alerts."""
    if al.ANOMALY not in card.alertnames:
        return
    value = f"incident:{card.id}"
    card.extra_actions.extend([Button(action_id=NOT_ANOMALY, value=value), Button(action_id=USEFUL, value=value)])
