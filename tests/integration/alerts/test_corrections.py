"""Split and Merge in the store (SQLite and PostgreSQL): alerts move, both incidents recompute, grouping learns.

The engine is built from settings (engine.wiring.build_engine), so Split and Merge are the ones the
bot calls: with the merged note on cards, the configured policy, and the grouping model's own statistics."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from engine.actor import Actor
from engine.alerts.cooccurrence import CoOccurrence
from engine.alerts.correction_service import CORRECT
from engine.alerts.correction_tables import GroupingCorrection
from engine.alerts.config import AlertsConfig
from engine.alerts.tables import AlertRow
from engine.core.outbox_tables import OutboxItem
from engine.errors import Conflict, Forbidden, InvalidInput
from tests.changes import decision_said

ANN = Actor("U1", "ann")
BOB = Actor("U2", "bob")


def body(alerts: list[tuple[str, ...]], group: str, status: str = "firing") -> bytes:
    """Return an Alertmanager v4 body with (alertname, service[, instance]) alerts in one group."""
    items = [{"status": status, "labels": {"alertname": a[0], "service": a[1], "severity": "warning",
                                           **({"instance": a[2]} if len(a) > 2 else {})},
              "annotations": {}, "startsAt": "2026-11-27T12:00:00Z",
              "endsAt": "2026-11-27T12:05:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
              "generatorURL": "", "fingerprint": "-".join(a)} for a in alerts]
    return json.dumps({"receiver": "opsbot", "status": status, "alerts": items, "groupLabels": {"service": "any"},
                       "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am:9093",
                       "version": "4", "groupKey": group, "truncatedAlerts": 0}).encode()


@pytest.fixture
def cfg() -> AlertsConfig:
    """Services the grouping model joins (a dependency), so a person has something to correct."""
    return AlertsConfig.model_validate({"depends_on": {"checkout": ["payments", "logs"], "payments": ["db"],
                                                       "x": ["y"], "svc0": [f"svc{i}" for i in range(1, 60)]}})


@pytest.fixture
def service(engine):
    """The built engine's alert service."""
    return engine.alerts


@pytest.fixture
def fixes(engine):
    """The built engine's Split and Merge (audited, policy-gated, teaching the grouping model)."""
    return engine.corrections


@pytest.fixture
def db(engine):
    """The built engine's store."""
    return engine.db


def evidence(cooc: CoOccurrence) -> dict[str, dict[str, list[float]]]:
    """Return the grouping model's raw pair evidence: key -> partner -> [together, apart]."""
    return cooc._pairs  # noqa: SLF001 - no public method lists the raw counts a correction adds


def lean(cooc: CoOccurrence, a: str, b: str) -> float:
    """Return together minus apart evidence of a key pair in the grouping model's statistics."""
    together, apart = evidence(cooc).get(a, {}).get(b, [0.0, 0.0])
    return together - apart


async def _where(db, fp: str) -> int | None:
    async with db.session() as s:
        return (await s.execute(select(AlertRow.incident_id).where(AlertRow.fingerprint == fp))).scalar_one()


async def _cards(db) -> dict[str, dict]:
    async with db.session() as s:
        rows = (await s.execute(select(OutboxItem).order_by(OutboxItem.id))).scalars().all()
    return {r.key: r.context for r in rows}


async def _audit(db) -> list[tuple[str, str, str]]:
    from engine.audit import AuditEvent

    async with db.session() as s:
        return [(e.action, e.actor, e.subject) for e in (await s.execute(select(AuditEvent))).scalars()]


async def test_split_moves_chosen_alerts_to_a_new_incident_and_later_deliveries_follow(service, fixes, db, clock):
    await service.receive("alertmanager", body([("HighLatency", "checkout"), ("HighErrorRate", "checkout"),
                                                ("DiskFull", "logs")], "g1"))
    (inc,) = await service.queries.incidents("open")
    assert inc.alert_count == 3
    done = await fixes.split(inc.id, ["a:DiskFull-logs"], ANN)
    src, new = done.source, done.target
    assert new.id != src.id and await _where(db, "DiskFull-logs") == new.id
    assert (src.alert_count, set(src.firing)) == (2, {"HighLatency-checkout", "HighErrorRate-checkout"})
    assert (new.alert_count, set(new.firing), list(new.services)) == (1, {"DiskFull-logs"}, ["logs"])
    assert "logs" not in src.services and "DiskFull" not in src.alertnames
    # Both cards re-rendered from current state; the new one is posted in the same channel.
    cards = await _cards(db)
    assert cards[f"incident:{src.id}"]["alert_count"] == 2 and cards[f"incident:{new.id}"]["firing_count"] == 1
    assert any(k.startswith(f"incident:{src.id}:correction:") for k in cards)
    # Timeline on both, and per alert for /ops why.
    for i in (src.id, new.id):
        reasons = [decision_said(d) for d in (await service.queries.incident(i)).decisions]
        assert any("split" in r and "by ann" in r for r in reasons), reasons
    why = await service.queries.why("DiskFull-logs")
    assert any(f"moved to incident #{new.id} by ann" in decision_said(d) for d in why.decisions)
    assert why.subject == "alert DiskFull on logs (DiskFull-logs)"
    # The source's history names the alert it grouped, and where that alert is now.
    told = {d.get("alert") for d in (await service.queries.why(str(src.id))).decisions}
    assert f"DiskFull on logs (now in #{new.id})" in told and "HighLatency on checkout" in told, told
    # Audited with its actor, stored, taught.
    assert ("incident:split", "U1", f"incident:{src.id}") in await _audit(db)
    assert lean(fixes.feedback, "DiskFull|logs", "HighLatency|checkout") == -1
    assert fixes.feedback is service.cooccurrence  # what the grouping model scores with
    # A later delivery of the moved alert follows its new incident (same Alertmanager group).
    clock.advance(30)
    await service.receive("alertmanager", body([("HighLatency", "checkout"), ("HighErrorRate", "checkout"),
                                                ("DiskFull", "logs")], "g1"))
    assert await _where(db, "DiskFull-logs") == new.id
    assert await _where(db, "HighLatency-checkout") == src.id


def annotated(alerts: list[tuple[str, str]], group: str) -> bytes:
    """Return body() whose alerts carry a summary and a team label, as a card's lead reads them."""
    data = json.loads(body(alerts, group))
    for a in data["alerts"]:
        a["annotations"] = {"summary": f"{a['labels']['alertname']} summary"}
        a["labels"]["team"] = "web" if a["labels"]["service"] == "checkout" else "storage"
    return json.dumps(data).encode()


async def test_a_split_gives_each_incident_the_lead_title_and_owner_of_its_own_alerts(make_engine):
    engine = await make_engine(alerts={
        "depends_on": {"checkout": ["logs"]},
        "owners": [{"match": {"team": "web"}, "team": "web-team"}, {"match": {"team": "storage"}, "team": "storage-team"}]})
    service, fixes = engine.alerts, engine.corrections
    await service.receive("alertmanager", annotated([("DiskFull", "logs"), ("HighLatency", "checkout")], "g1"))
    (inc,) = await service.queries.incidents("open")
    assert (inc.title, inc.lead["fingerprint"]) == ("DiskFull on logs", "DiskFull-logs")
    # The lead alert itself moves out: the source takes its remaining alert's words and owner.
    done = await fixes.split(inc.id, ["a:DiskFull-logs"], ANN)
    src, new = done.source, done.target
    assert (new.title, new.lead["summary"]) == ("DiskFull on logs", "DiskFull summary")
    assert (src.title, src.lead["summary"]) == ("HighLatency on checkout", "HighLatency summary")
    cards = await _cards(engine.db)
    assert cards[f"incident:{new.id}"]["lead"]["summary"] == [{"text": "DiskFull summary"}]
    assert cards[f"incident:{new.id}"]["owner"]["team"] == "storage-team"
    assert cards[f"incident:{src.id}"]["owner"]["team"] == "web-team"
    assert cards[f"incident:{src.id}"]["title"] == "HighLatency on checkout"


async def test_split_refuses_none_all_and_alerts_that_left(service, fixes):
    await service.receive("alertmanager", body([("A", "x"), ("B", "x")], "g1"))
    (inc,) = await service.queries.incidents("open")
    with pytest.raises(InvalidInput, match="at least one"):
        await fixes.split(inc.id, [], ANN)
    with pytest.raises(InvalidInput, match="every alert"):
        await fixes.split(inc.id, ["a:A-x", "a:B-x"], ANN)
    with pytest.raises(InvalidInput, match="no longer in incident"):
        await fixes.split(inc.id, ["a:C-x"], ANN)
    with pytest.raises(InvalidInput, match="does not offer"):
        await fixes.split(inc.id, ["A-x"], ANN)
    assert await fixes.log.count() == 0


async def test_merge_closes_the_source_moves_its_alerts_and_it_is_not_reopened(service, fixes, db, clock):
    await service.receive("alertmanager", body([("HighLatency", "checkout")], "g1"))
    await service.receive("alertmanager", body([("QueueBacklog", "mailer")], "g2"))
    second, first = await service.queries.incidents("open")
    done = await fixes.merge(second.id, first.id, BOB)
    assert done.source.status.value == "resolved" and done.source.resolved_by == "bob"
    assert done.target.alert_count == 2 and set(done.target.firing) == {"HighLatency-checkout", "QueueBacklog-mailer"}
    assert set(done.target.services) == {"checkout", "mailer"}
    cards = await _cards(db)
    assert cards[f"incident:{second.id}"]["merged_into"] == first.id
    assert cards[f"incident:{first.id}"]["merged_into"] is None
    assert ("incident:merge", "U2", f"incident:{second.id}") in await _audit(db)
    assert lean(fixes.feedback, "QueueBacklog|mailer", "HighLatency|checkout") == 1
    # The source's alert fires again (and its old group fires): it joins the target; the merged
    # incident stays closed.
    clock.advance(60)
    await service.receive("alertmanager", body([("QueueBacklog", "mailer"), ("QueueDepth", "mailer")], "g2"))
    assert await _where(db, "QueueBacklog-mailer") == first.id
    assert (await service.queries.incident(second.id)).incident.status.value == "resolved"
    with pytest.raises(Conflict, match="resolved"):
        await fixes.merge(second.id, first.id, BOB)
    with pytest.raises(InvalidInput, match="itself"):
        await fixes.merge(first.id, first.id, BOB)


async def test_replay_rebuilds_the_statistics_and_stats_count_per_week(service, fixes, db, clock, make_engine):
    await service.receive("alertmanager", body([("A", "x"), ("B", "y")], "g1"))
    await service.receive("alertmanager", body([("C", "z")], "g2"))
    c_inc, ab = await service.queries.incidents("open")
    split = await fixes.split(ab.id, ["a:B-y"], ANN)
    clock.advance(8 * 86400)
    await fixes.merge(c_inc.id, split.target.id, ANN)
    again = (await make_engine()).corrections  # a restarted replica on the same store
    assert await again.replay() == 2 and await again.replay() == 2  # once per start
    assert evidence(again.feedback) and evidence(again.feedback) == evidence(fixes.feedback)
    weeks = await fixes.weekly(30)
    assert sum(w["splits"] for w in weeks) == 1 and sum(w["merges"] for w in weeks) == 1 and len(weeks) == 2
    assert [w["merges"] for w in await fixes.weekly(7)] == [1]


async def test_policy_that_names_the_action_gates_it(make_engine):
    engine = await make_engine(policy={"roles": {"oncall": {"users": ["U1"]}},
                                       "rules": [{"action": CORRECT, "roles": ["oncall"], "effect": "allow"}]})
    service, fixes = engine.alerts, engine.corrections
    await service.receive("alertmanager", body([("A", "x"), ("B", "y")], "g1"))
    (inc,) = await service.queries.incidents("open")
    with pytest.raises(Forbidden, match="oncall"):
        await fixes.split(inc.id, ["a:B-y"], BOB)
    assert (await fixes.split(inc.id, ["a:B-y"], ANN)).moved == 1


async def test_big_incidents_offer_alert_keys_within_slacks_limit(service, fixes, db):
    alerts = [(f"Err{i % 3}", f"svc{i % 60}", f"i{i}") for i in range(150)]
    await service.receive("alertmanager", body(alerts, "g1"))
    (inc,) = await service.queries.incidents("open")
    form = await fixes.split_form(inc.id)
    assert form.grouped and len(form.choices) == 60 and form.more == 0
    pick = next(c for c in form.choices if c.text.startswith("Err0 on svc0 ×"))
    done = await fixes.split(inc.id, [pick.value], ANN)
    assert done.moved == 3 and await _where(db, "Err0-svc0-i0") == done.target.id
    assert not any("@" in c.text for c in form.choices)  # the key's code form is not what a person reads


async def test_a_split_and_a_new_alert_on_another_replica_lose_nothing(service, fixes, db, make_engine):
    await service.receive("alertmanager", body([("A", "x"), ("B", "x"), ("C", "x")], "g1"))
    (inc,) = await service.queries.incidents("open")
    other = (await make_engine()).alerts  # a second replica on the same store
    batches = [other.receive("alertmanager", body([("A", "x"), ("B", "x"), ("C", "x"), (f"N{i}", "x")], "g1"))
               for i in range(5)]
    await asyncio.gather(fixes.split(inc.id, ["a:C-x"], ANN), *batches)
    async with db.session() as s:
        rows = dict((await s.execute(select(AlertRow.fingerprint, AlertRow.incident_id))).all())
        corrections = (await s.execute(select(GroupingCorrection))).scalars().all()
    assert len(rows) == 8 and all(v is not None for v in rows.values())
    (c,) = corrections
    assert rows["C-x"] == c.target_incident
    for i in {c.source_incident, c.target_incident}:
        d = await service.queries.incident(i)
        assert d.incident.alert_count == len(d.alerts) == sum(1 for v in rows.values() if v == i)
        assert set(d.incident.firing) == {a.fingerprint for a in d.alerts}


def unnamed(alerts: list[tuple[str, str]], group: str) -> bytes:
    """Return body() whose alerts name their subject in `component`, a label the config does not list."""
    data = json.loads(body(alerts, group))
    for a in data["alerts"]:
        a["labels"]["component"] = a["labels"].pop("service")
    return json.dumps(data).encode()


async def test_split_and_merge_keep_the_entity_the_model_learned_from_the_stream(service, fixes, clock):
    # `component` names the thing (two alert names on each of two values): the model reads it as the entity.
    await service.receive("alertmanager", unnamed([("HighLatency", "checkout"), ("HighErrorRate", "checkout"),
                                                   ("DiskFull", "logs"), ("DiskSlow", "logs")], "g1"))
    (inc,) = await service.queries.incidents("open")
    # (learned from the third alert on: a second value naming a service of depends_on)
    assert any(k.endswith("DiskFull|logs") for k in inc.corr_keys), inc.corr_keys
    done = await fixes.split(inc.id, ["a:DiskFull-logs", "a:DiskSlow-logs"], ANN)
    # Both rebuilt memories hold the learned entity's keys, as the grouping stage places them now.
    assert any(k.endswith("DiskFull|logs") for k in done.target.corr_keys), done.target.corr_keys
    assert any(k.endswith("HighLatency|checkout") for k in done.source.corr_keys), done.source.corr_keys
    assert not any(k.endswith("DiskFull|") or k.endswith("HighLatency|") for k in
                   [*done.source.corr_keys, *done.target.corr_keys])
    # The lesson teaches the keys the model scores with.
    assert lean(fixes.feedback, "DiskFull|logs", "HighLatency|checkout") == -1
    done = await fixes.merge(done.target.id, done.source.id, BOB)
    assert lean(fixes.feedback, "DiskFull|logs", "HighLatency|checkout") == 0
