"""An incident's machine keys live in rows of their own: a reload builds exactly the corr_keys the
writer holds, the incident's JSON keeps only the rest, and a row written by a release that kept
them in the JSON is moved on its next save."""

from __future__ import annotations

import json

from sqlalchemy import select, text, update

from engine.alerts import repo
from engine.alerts.model_keys import LOCATION_PREFIXES
from engine.alerts.tables import IncidentMachineRow, IncidentRow

M, I = IncidentMachineRow.__table__, IncidentRow.__table__


def _body(n: int, start: str, hosts: range) -> bytes:
    alerts = [{"status": "firing", "labels": {"alertname": f"Err{i % 3}", "service": "api", "instance": f"h{i}:9100"},
               "annotations": {}, "startsAt": start, "endsAt": "0001-01-01T00:00:00Z"} for i in hosts]
    return json.dumps({"version": "4", "receiver": "opsbot", "groupKey": f"g{n}", "groupLabels": {},
                       "alerts": alerts}).encode()


async def _stored(ingest) -> tuple[dict[int, dict[str, float]], dict[int, dict[str, float]]]:
    """Return (each incident's row JSON, each incident's machine rows)."""
    async with ingest.db.session() as s:
        rows = {r.id: r.corr_keys for r in (await s.execute(select(I.c.id, I.c.corr_keys))).all()}
        machine: dict[int, dict[str, float]] = {}
        for inc_id, key, at in (await s.execute(select(M.c.incident_id, M.c.key, M.c.at))).all():
            machine.setdefault(inc_id, {})[key] = at
    return rows, machine


async def _reload(ingest, clock) -> dict:
    async with ingest.db.session() as s:
        return await repo.load_candidates(s, clock.now(), ingest.cfg.reopen_window_s)


async def test_a_reload_builds_the_cached_corr_keys_and_the_json_holds_no_machine_key(ingest, clock):
    await ingest.receive("alertmanager", _body(0, "2026-11-27T11:59:00Z", range(0, 40)))
    clock.advance(5)
    # Hosts seen again at a later onset, and new ones: both rows are written, the first ones moved.
    await ingest.receive("alertmanager", _body(1, "2026-11-27T11:59:30Z", range(20, 60)))
    cached = ingest.store.incidents
    reloaded = await _reload(ingest, clock)
    assert {i: inc.corr_keys for i, inc in cached.items()} == {i: inc.corr_keys for i, inc in reloaded.items()}
    rows, machine = await _stored(ingest)
    for inc_id, inc in cached.items():
        assert not any(k.startswith(LOCATION_PREFIXES) for k in rows[inc_id])
        assert machine[inc_id] == {k: v for k, v in inc.corr_keys.items() if k.startswith(LOCATION_PREFIXES)}
    assert sum(len(m) for m in machine.values()) == 60  # one key per host


async def test_machine_keys_a_previous_release_kept_in_the_json_move_to_rows(ingest, clock):
    await ingest.receive("alertmanager", _body(0, "2026-11-27T11:59:00Z", range(0, 10)))
    (inc_id,) = ingest.store.incidents
    legacy = dict(ingest.store.incidents[inc_id].corr_keys)  # every key, as the previous release stored it
    async with ingest.db.session() as s:
        await s.execute(update(I).where(I.c.id == inc_id).values(corr_keys=legacy))
        await s.execute(text("DELETE FROM alerts_incident_machine"))
    ingest.store.invalidate()  # as another replica's write would
    assert (await _reload(ingest, clock))[inc_id].corr_keys == legacy
    clock.advance(5)
    await ingest.receive("alertmanager", _body(1, "2026-11-27T11:59:00Z", range(10, 12)))
    rows, machine = await _stored(ingest)
    assert not any(k.startswith(LOCATION_PREFIXES) for k in rows[inc_id])
    assert len(machine[inc_id]) == 12
    assert (await _reload(ingest, clock))[inc_id].corr_keys == ingest.store.incidents[inc_id].corr_keys
