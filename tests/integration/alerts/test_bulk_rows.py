"""The bulk row writes store exactly what they are given, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from engine.alerts import counters, repo
from engine.alerts.counters import PendingCounters
from engine.alerts.tables import AlertRow, DecisionRow
from engine.alerts.types import AlertState, Decision, Status
from engine.store.bulk import Bulk

NOW = datetime(2026, 11, 27, 12, 0, 0, 123456, tzinfo=timezone.utc)


def _state(fp: str, **kw) -> AlertState:
    base = dict(fingerprint=fp, status=Status.FIRING,
                # Key order as sent (not sorted), non-ASCII, quotes and a backslash: stored as sent.
                labels={"zeta": "1", "alertname": "Disk \"full\" ✓", "instance": "C:\\data", "a": ""},
                annotations={"summary": "é\nline two", "value": "<none>"},
                starts_at=NOW - timedelta(seconds=30), ends_at=None, first_seen_at=NOW, last_seen_at=NOW,
                source="alertmanager", group_key='{}:{service="x"}', incident_id=2**40,
                last_decision="new", last_reason="r" * 500)
    base.update(kw)
    return AlertState(**base)


async def test_alert_and_decision_rows_round_trip(db):
    resolved = _state("fp-2", status=Status.RESOLVED, ends_at=NOW, resolved_at=NOW, incident_id=None,
                      inhibited_by="src", deliveries=7, flaps=2, repeat_resolves=3, group_key=None)
    async with db.session() as s:
        await repo.save(s, [_state("fp-1"), resolved], [], PendingCounters(5), NOW)
        await repo.save_decisions(s, [Decision("group", "model", "joined #-1", "fp-1", -1, NOW + timedelta(hours=1),
                                               facts={"changes": [{"k": 1.5}], "more": 0}),
                                      Decision("notify", "none", "quiet", None, None)], NOW, {-1: 9}, "U1")
    async with db.session() as s:
        rows = {r.fingerprint: r for r in (await s.execute(select(AlertRow))).scalars()}
        dec = (await s.execute(select(DecisionRow).order_by(DecisionRow.id))).scalars().all()
    one, two = rows["fp-1"], rows["fp-2"]
    assert list(one.labels) == ["zeta", "alertname", "instance", "a"]  # the order it came in
    assert one.labels == _state("fp-1").labels and one.annotations == _state("fp-1").annotations
    assert (one.alertname, one.incident_id, one.last_reason, one.ends_at) == ('Disk "full" ✓', 2**40, "r" * 500, None)
    assert one.starts_at.replace(tzinfo=timezone.utc) == NOW - timedelta(seconds=30)
    assert (two.status, two.group_key, two.inhibited_by, two.deliveries, two.flaps, two.repeat_resolves) == \
        ("resolved", None, "src", 7, 2, 3)
    assert two.resolved_at.replace(tzinfo=timezone.utc) == NOW
    # The temp id is mapped in the incident column and in the reason's words alike.
    assert [(d.stage, d.name, d.reason, d.fingerprint, d.incident_id, d.actor, d.facts) for d in dec] == [
        ("group", "model", "joined #9", "fp-1", 9, "U1", {"changes": [{"k": 1.5}], "more": 0}),
        ("notify", "none", "quiet", None, None, "U1", None)]
    assert dec[0].next_due_at.replace(tzinfo=timezone.utc) == NOW + timedelta(hours=1)


async def test_a_value_too_long_fails_the_write_instead_of_being_cut(db):
    if db.dialect != "postgresql":
        pytest.skip("SQLite does not enforce VARCHAR lengths")
    with pytest.raises(Exception, match="(?i)too long"):
        async with db.session() as s:
            await repo.save(s, [_state("f" * 129)], [], PendingCounters(5), NOW)


async def test_held_counters_add_up_on_the_stored_row(db):
    st = _state("fp-1")
    async with db.session() as s:
        await repo.save(s, [st], [], PendingCounters(5), NOW)
    st.touched, st.repeat_resolves, st.last_seen_at, st.last_decision = 4, 1, NOW + timedelta(seconds=9), "repeat_delivery"
    st.last_reason = "repeat ✓"
    async with db.session() as s:
        await counters.write(await Bulk.of(s), [st])
    async with db.session() as s:
        row = (await s.execute(select(AlertRow))).scalar_one()
    assert (row.deliveries, row.repeat_resolves, row.last_decision, row.last_reason) == (5, 1, "repeat_delivery", "repeat ✓")
    assert row.last_seen_at.replace(tzinfo=timezone.utc) == NOW + timedelta(seconds=9)
