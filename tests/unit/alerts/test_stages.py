"""Each pipeline stage's pure decision returns a named reason; the runner declares them in order."""

from __future__ import annotations

import json

from engine.alerts.config import AlertsConfig, Limits
from engine.alerts.dedup import Dedup
from engine.alerts.enrich import EnrichStage, decide_enrich
from engine.alerts.fingerprint import sha256_hex
from engine.alerts.grouping import GroupDecision
from engine.alerts.lifecycle import Change
from engine.alerts.notify import card_renders
from engine.alerts.notify_stage import NotifyStage
from engine.alerts.parse import ParseStage
from engine.alerts.pipeline import Pipeline, PipelineState, process
from engine.alerts.stages import decide_inhibit, decide_lifecycle
from engine.core.notices import Button
from engine.rca.messages import SHOW

from alerts_helpers import at, ev

CFG = AlertsConfig()
STAGES = ("parse", "dedup", "group", "inhibit", "lifecycle", "enrich", "notify")


def _door(limits: Limits | None = None) -> ParseStage:
    return ParseStage(limits or Limits(), sha256_hex, frozenset(), "severity")


def _body(**alert) -> bytes:
    a = {"status": "firing", "labels": {"alertname": "Down", "severity": "critical"},
         "annotations": {}, "startsAt": "2026-11-27T12:00:00Z", "endsAt": "0001-01-01T00:00:00Z", **alert}
    return json.dumps({"version": "4", "groupKey": "{}:{}", "receiver": "opsbot", "status": "firing",
                       "alerts": [a]}).encode()


async def _no_emit(session, notices, now) -> None:  # noqa: ANN001 - the outbox write is not reached here
    raise AssertionError("process() must not write notices")


def test_pipeline_declares_its_stages_in_the_documented_order():
    p = Pipeline(CFG, _door(), (EnrichStage(CFG), NotifyStage(CFG, _no_emit)))
    assert p.names == STAGES


def test_parse_names_accepted_too_large_invalid_and_missing_column():
    assert _door().decide("alertmanager", _body()).name == "accepted"
    assert _door().decide("alertmanager", _body()).batch is not None
    too_large = _door(Limits(max_body_bytes=10)).decide("alertmanager", _body())
    assert (too_large.name, too_large.batch) == ("too_large", None)
    assert too_large.error is not None and too_large.error.code == "payload_too_large"
    bad = _door().decide("alertmanager", b"{not json")
    assert bad.name == "invalid" and "not valid JSON" in bad.reason
    wide = _door().decide("alertmanager", _body(labels={"alertname": "Down", "severity": "x" * 500}))
    assert wide.name == "missing_column" and "severity" in wide.reason


def test_inhibit_names_inhibited_alerts_and_records_them_under_inhibit():
    muted = decide_inhibit(GroupDecision(None, "inhibited", "inhibited by firing alert src", "src"))
    assert (muted.name, muted.stage, muted.source) == ("inhibited", "inhibit", "src")
    free = decide_inhibit(GroupDecision(None, "new", "no open incident matched"))
    assert (free.name, free.stage, free.source) == ("not_inhibited", "group", None)


def test_lifecycle_names_what_a_delivery_does_to_its_incident():
    assert decide_lifecycle(Dedup.NEW, False, False) == "join"
    assert decide_lifecycle(Dedup.REFIRE, True, True) == "join"
    assert decide_lifecycle(Dedup.FLAP, True, True) == "flap"
    assert decide_lifecycle(Dedup.FLAP, False, True) == "join"  # its incident is gone from memory
    assert decide_lifecycle(Dedup.RESOLVED, True, True) == "resolve"
    assert decide_lifecycle(Dedup.RESOLVED, False, True) == "stale_card"
    assert decide_lifecycle(Dedup.RESOLVED, False, False) == "none"
    assert decide_lifecycle(Dedup.STALE, True, True) == "none"


def test_enrich_builds_exactly_the_messages_notify_renders():
    s = PipelineState({}, {})
    out = process(s, [ev("A", "billing", fp="a")], CFG, at(0))
    (inc,) = s.incidents.values()
    assert decide_enrich(inc, out.changes[inc.id]).name == "enrich"  # first post
    inc.posted = True
    assert decide_enrich(inc, []).name == "skip"  # nothing changed: no edit
    assert card_renders(inc, []) is None
    assert decide_enrich(inc, [Change("joined", alertname="B")]).name == "enrich"
    assert decide_enrich(inc, None).reason == "stale card re-rendered"
    inc.posted = False
    inc.status = inc.status.RESOLVED
    assert decide_enrich(inc, [Change("resolved", seconds=300.0)]).name == "skip"  # resolved before posting
    assert decide_enrich(inc, None).name == "skip"


async def test_enrich_runs_declared_extensions_and_enrichers_and_survives_a_broken_extension():
    s = PipelineState({}, {})
    process(s, [ev("A", "billing", fp="a")], CFG, at(0))
    (inc,) = s.incidents.values()
    seen = []

    def broken(ctx):  # noqa: ANN001, ANN202 - an extension with a bug
        raise RuntimeError("bug")

    def button(card):  # noqa: ANN001, ANN202 - a test extension
        card.extra_actions.append(Button(action_id=SHOW, value=str(card.id)))

    async def cause(session, card):  # noqa: ANN001, ANN202 - reads the store in the real one
        seen.append(session)
        card.likely_cause = "db"

    card = await EnrichStage(CFG, [broken, button], [cause]).card("session", inc)
    assert card.extra_actions[0].action_id == SHOW and card.likely_cause == "db"
    assert seen == ["session"]


def test_quiet_repeats_stop_after_dedup_and_new_alerts_go_through_every_alert_stage():
    s = PipelineState({}, {})
    e = ev("A", "billing", fp="a")
    out = process(s, [e], CFG, at(0))
    assert [d.stage for d in out.decisions] == ["dedup", "group"]
    assert out.decisions[0].name == "new" and out.decisions[1].incident_id is not None
    out = process(s, [ev("A", "billing", fp="a", status="resolved")], CFG, at(5))
    again = process(s, [ev("A", "billing", fp="a", status="resolved")], CFG, at(6))
    assert [d.name for d in out.decisions] == ["resolved"]
    assert again.decisions == [] and again.counts["dedup.repeated_resolve"] == 1
