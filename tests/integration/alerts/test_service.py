"""People's actions on incidents, silences in a real Alertmanager, `/ops why` and `/ops stats` through the
store, on an engine built from settings (engine.wiring.build_engine) on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bot.render import render
from engine.actor import Actor
from engine.core.clock import FakeClock
from engine.errors import Conflict, InvalidInput, NotFound
from engine.alerts.tables import DecisionRow
from engine.core.outbox_tables import OutboxItem
from tests.changes import decision_said
from test_ha_and_retries import am_body

ANN = Actor("U1", "ann")


@pytest.fixture
def service(engine):
    """The built engine's alert service."""
    return engine.alerts


@pytest.fixture
def db(engine):
    """The built engine's store."""
    return engine.db


async def _notices(db):
    async with db.session() as s:
        return (await s.execute(select(OutboxItem).order_by(OutboxItem.id))).scalars().all()


async def test_ack_snooze_resolve_with_thread_notes(service, db, clock):
    await service.receive("alertmanager", am_body([("HighLatency", "checkout"), ("HighErrorRate", "checkout")]))
    (inc,) = await service.queries.incidents("open")
    clock.advance(60)
    acked = await service.acknowledge(inc.id, ANN)
    assert acked.status.value == "acknowledged" and acked.acked_by == "ann"
    with pytest.raises(Conflict):
        await service.acknowledge(inc.id, ANN)
    await service.snooze(inc.id, 900, ANN)
    await service.resolve(inc.id, ANN)
    with pytest.raises(NotFound):
        await service.resolve(999, ANN)
    notes = await _notices(db)
    keys = {n.key for n in notes if n.thread_key is None}
    assert keys == {f"incident:{inc.id}"}
    thread = [n.context["changes"][0]["change"]["kind"] for n in notes if n.thread_key]
    assert thread == ["acknowledged", "snoozed", "resolved"]
    # The thread and `/ops why` word the same stored facts; the snooze's end is a date token.
    replies = [render(n.template, n.context)["blocks"][0]["text"]["text"] for n in notes if n.thread_key]
    assert "acknowledged by ann" in replies[0] and "resolved by ann" in replies[2]
    assert re.search(r"snoozed by ann until <!date\^\d+\^\{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>", replies[1])
    why = render("alerts/why", {"subject": "x", "decisions": (await service.queries.why(str(inc.id))).decisions,
                                "state": {}, "next_due_at": None})
    assert "snoozed by ann until <!date^" in why["blocks"][0]["text"]["text"]
    stats = await service.queries.stats(7)
    assert stats.incidents == 1 and stats.distinct_alerts == 2 and stats.mtta_s == 60
    for days in (0, 366):
        with pytest.raises(InvalidInput, match="out of range") as err:
            await service.queries.stats(days)
        assert err.value.hint == "use e.g. 7d or 30d"


async def test_silence_creates_and_expires_in_alertmanager(make_engine, alertmanager):
    # OPSBOT_ALERTMANAGER_URL names the server, as in a deployment; the clock is now, as the
    # Alertmanager refuses silences that ended in the past.
    engine = await make_engine(clock=FakeClock(datetime.now(timezone.utc)),
                               env={"OPSBOT_ALERTMANAGER_URL": alertmanager})
    service = engine.alerts
    await service.receive("alertmanager", am_body([("HighLatency", "checkout"), ("HighErrorRate", "checkout")]))
    (inc,) = await service.queries.incidents("open")
    sids = await service.silence(inc.id, ANN, hours=1)
    made = await service.silences.list_silences()
    assert {s.id for s in made} == set(sids) and all("ann" in s.created_by and s.state == "active" for s in made)
    # One silence per alert name: never `A|B` on `x|y`, which would hide pairs not in the incident.
    assert sorted(sorted((m.name, m.value) for m in s.matchers) for s in made) == [
        [("alertname", "HighErrorRate"), ("service", "checkout")],
        [("alertname", "HighLatency"), ("service", "checkout")]]
    await service.expire_silence(inc.id, "all", ANN)
    assert {s.state for s in await service.silences.list_silences()} == {"expired"}
    why = await service.queries.why(str(inc.id))
    said = [decision_said(d) for d in why.decisions if d["stage"] == "lifecycle"]
    assert any(t.startswith("silenced in Alertmanager by ann for 1h: ") and all(f"(silence {sid})" in t for sid in sids)
               for t in said), said
    assert any(t == f"silences {', '.join(sids)} expired by ann" for t in said), said


async def test_why_for_fingerprint_names_each_stage(service, clock):
    body = am_body([("HighLatency", "checkout")])
    await service.receive("alertmanager", body)
    await service.receive("alertmanager", am_body([("HighLatency", "checkout")], url="http://am-1:9093"))
    why = await service.queries.why("HighLatency-checkout")
    stages = [d["stage"] for d in why.decisions]
    assert why.decisions[0]["name"] == "repeat_delivery" and "2 deliveries" in why.decisions[0]["reason"]
    assert {"dedup", "group", "notify"} <= set(stages) and why.next_due_at is not None
    with pytest.raises(NotFound):
        await service.queries.why("nope")


async def test_why_shows_a_first_firing_from_the_alert_row_not_a_stored_decision(service, db, clock):
    first = clock.now()
    await service.receive("alertmanager", am_body([("HighLatency", "checkout")]))
    await service.receive("alertmanager", am_body([("Gone", "checkout")], status="resolved"))
    clock.advance(30)
    await service.receive("alertmanager", am_body([("HighLatency", "checkout")], status="resolved"))
    async with db.session() as s:
        rows = (await s.execute(select(DecisionRow.stage, DecisionRow.name, DecisionRow.fingerprint))).all()
    assert ("dedup", "new", "HighLatency-checkout") not in rows  # derivable, so not stored
    assert ("dedup", "resolved_unseen", "Gone-checkout") in rows
    fired = (await service.queries.why("HighLatency-checkout")).decisions
    # After the latest delivery and the later decisions, oldest last: the first firing, as it happened.
    news = [d for d in fired[1:] if d["stage"] == "dedup" and d["name"] == "new"]
    assert news == [{"at": first.isoformat(), "stage": "dedup", "name": "new",
                     "reason": "first time this fingerprint fires", "fingerprint": "HighLatency-checkout",
                     "incident_id": None, "actor": None, "next_due_at": None, "facts": None}]
    assert fired.index(news[0]) > max(i for i, d in enumerate(fired) if d["stage"] == "group")
    unseen = (await service.queries.why("Gone-checkout")).decisions
    assert [d["name"] for d in unseen[1:] if d["stage"] == "dedup"] == ["resolved_unseen"]  # it never fired


async def test_card_of_an_incident_out_of_memory_counts_the_alert_that_resolved(service, db, clock):
    """An incident resolved by hand and past its reopen window leaves memory; its alerts still
    resolve later, and the notify stage re-renders its card as a reload would count it."""
    await service.receive("alertmanager", am_body([("Down", "db"), ("Slow", "db")]))
    (inc,) = await service.queries.incidents("open")
    await service.resolve(inc.id, ANN)
    clock.advance(service.cfg.reopen_window_s + 60)
    await service.tick()  # the incident leaves the in-memory candidates
    await service.receive("alertmanager", am_body([("Down", "db")], status="resolved"))
    cards = [n for n in await _notices(db) if n.key == f"incident:{inc.id}" and n.thread_key is None]
    assert cards[-1].context["firing_count"] == 1  # "Slow" still fires; "Down" resolved
    assert cards[-1].context["status"] == "resolved"


async def test_why_for_incident_shows_the_chosen_and_runner_up_scores(service, clock):
    await service.receive("alertmanager", am_body([("DatabaseDown", "db")], group="a"))
    clock.advance(20)
    await service.receive("alertmanager", am_body([("DiskFull", "billing")], group="b"))
    clock.advance(30)
    await service.receive("alertmanager", am_body([("HighLatency", "payments")], group="c"))
    incs = {i.title: i for i in await service.queries.incidents("open")}
    assert set(incs) == {"DatabaseDown on db", "DiskFull on billing"}
    db_inc, other = incs["DatabaseDown on db"], incs["DiskFull on billing"]
    why = await service.queries.why(str(db_inc.id))
    (joined,) = [d for d in why.decisions if d["stage"] == "group" and d["name"] == "model"]
    assert joined["reason"].startswith(f"joined #{db_inc.id} score") and "away in depends_on" in joined["reason"]
    assert f"runner-up #{other.id} score" in joined["reason"] and "last onset" in joined["reason"]
    assert any(d["stage"] == "notify" for d in why.decisions)


async def test_why_for_a_storm_incident_shows_peoples_actions_before_its_grouping_lines(service, clock):
    # In the demo, six long grouping lines filled the answer and hid bob's acknowledgement and
    # alice's split behind "…and 4 more; `/ops why <fingerprint>` explains one alert".
    await service.receive("alertmanager", am_body([("HighErrorRate", "front")]))
    (inc,) = await service.queries.incidents("open")
    for i in range(8):
        clock.advance(5)
        await service.receive("alertmanager", am_body([("HighErrorRate", "front"), (f"Err{i}", "front")]))
    clock.advance(30)
    await service.acknowledge(inc.id, Actor("U0BOB", "bob"))
    why = await service.queries.why(str(inc.id))
    stages = [d["stage"] for d in why.decisions]
    assert stages.index("lifecycle") < stages.index("group"), stages
    shown = json.dumps(render("alerts/why", {"subject": why.subject, "decisions": why.decisions,
                                              "next_due_at": None, "state": why.state}))
    assert "acknowledged by bob" in shown


async def test_a_recurrence_opens_a_linked_incident_and_its_card_says_so(service, db, clock):
    await service.receive("alertmanager", am_body([("A", "billing")]))
    (first,) = await service.queries.incidents("open")
    clock.advance(60)
    await service.receive("alertmanager", am_body([("A", "billing")], status="resolved"))
    clock.advance(service.cfg.resolve_cooldown_s + 1)
    await service.tick()
    assert (await service.queries.incident(first.id)).incident.status.value == "resolved"
    clock.advance(600)
    again = am_body([("A", "billing")]).replace(b"2026-11-27T12:00:00Z", b"2026-11-27T12:16:00Z")
    await service.receive("alertmanager", again)
    (second,) = await service.queries.incidents("open")
    assert second.id != first.id and second.recurrence_of == first.id and second.recurrence_nth == 2
    card = [n for n in await _notices(db) if n.key == f"incident:{second.id}" and n.thread_key is None][-1]
    assert (card.context["recurrence_of"], card.context["recurrence_nth"]) == (first.id, 2)
    assert f"recurrence of #{first.id} (2nd time today)" in json.dumps(render(card.template, card.context))
    why = await service.queries.why(str(second.id))
    assert why.state["recurrence_of"] == f"#{first.id}"
    assert any(d["name"] == "recurrence" for d in why.decisions)


async def test_a_grouping_reason_names_an_incident_opened_in_the_same_body_by_its_real_id(service, clock):
    # An incident opened earlier in the same transaction carried a temporary id (-1) while the
    # next alert was scored, and the stored reason said "joined #-1", which `/ops why` showed.
    await service.receive("alertmanager", am_body([("DatabaseDown", "db")], group="a"))
    clock.advance(20)
    await service.receive("alertmanager", am_body([("DiskFull", "billing"), ("HighLatency", "billing"),
                                                   ("HighErrorRate", "billing")], group="b"))
    (billing,) = [i for i in await service.queries.incidents("open") if i.title == "DiskFull on billing"]
    why = await service.queries.why(str(billing.id))
    joined = [d["reason"] for d in why.decisions if d["stage"] == "group" and d["name"] == "model"]
    assert joined and all(r.startswith(f"joined #{billing.id} score") for r in joined), joined
    assert not any("#-" in d["reason"] for d in why.decisions), why.decisions
