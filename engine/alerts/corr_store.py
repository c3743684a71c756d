"""Store an incident's corr_keys: machine keys as rows of their own, the rest in the incident's row.

A storm's incident learns one machine key (model_keys.location_key) per node or host its alerts
run on, tens of thousands in a big storm; the rest of its memory is a few dozen keys. The row's
JSON holds the few, alerts_incident_machine the many, and a save writes only the machine keys
lifecycle.join set since the last one (types.CorrLedger). Whatever else changes corr_keys (a
correction replacing or merging it) leaves the ledger stale, and the next save rewrites the
incident's machine rows from corr_keys.
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.alerts.model_keys import LOCATION_PREFIXES
from engine.alerts.tables import IncidentMachineRow
from engine.alerts.types import CorrLedger, Incident
from engine.store.bulk import Bulk, json_rows_sql
from engine.store.db import table_of

M = table_of(IncidentMachineRow)
_UPSERT = ("INSERT INTO alerts_incident_machine (incident_id, key, at) VALUES (?, ?, ?) "
           "ON CONFLICT (incident_id, key) DO UPDATE SET at = excluded.at")
_UPSERT_PG = json_rows_sql(_UPSERT, M, ["incident_id", "key", "at"])


def valid(inc: Incident) -> CorrLedger | None:
    """Return the incident's ledger if it still describes its corr_keys, else None."""
    led, corr = inc.ledger, inc.corr_keys
    if led is not None and led.corr is corr and len(led.shared) + led.machines == len(corr):
        return led
    return None


def settle(inc: Incident) -> CorrLedger:
    """Return a ledger that describes the incident's corr_keys, rebuilt (all rows to rewrite) if stale."""
    led = valid(inc)
    if led is None:
        shared: dict[str, float] = {}
        machine: dict[str, float] = {}
        for k, v in inc.corr_keys.items():
            (machine if k.startswith(LOCATION_PREFIXES) else shared)[k] = v
        led = inc.ledger = CorrLedger(inc.corr_keys, shared, len(machine))
        led.fresh, led.rewrite = machine, True
    return led


async def write(b: Bulk, incidents: Iterable[Incident]) -> None:
    """Write the machine rows of settled incidents (real ids): what changed since the last write."""
    rows: list[tuple[int, str, float]] = []
    rewrite: list[int] = []
    for inc in incidents:
        led = inc.ledger
        if led is None:
            continue
        if led.rewrite:
            rewrite.append(inc.id)
            led.rewrite = False
        if led.fresh:
            rows += [(inc.id, k, v) for k, v in led.fresh.items()]
            led.fresh = {}
    if rewrite:
        await b.execute(f"DELETE FROM alerts_incident_machine WHERE incident_id IN ({', '.join('?' * len(rewrite))})",
                        rewrite)
    await b.insert_many(_UPSERT, _UPSERT_PG, rows)


async def attach(s: AsyncSession, incidents: Iterable[Incident]) -> None:
    """Add each loaded incident's machine rows to its corr_keys and describe the result in its ledger."""
    by_id = {i.id: i for i in incidents}
    ids = list(by_id)
    machine: dict[int, dict[str, float]] = {}
    for i in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        for inc_id, key, at in (await s.execute(select(M.c.incident_id, M.c.key, M.c.at).where(
                M.c.incident_id.in_(ids[i:i + 500])))).all():
            machine.setdefault(inc_id, {})[key] = at
    for inc in by_id.values():
        corr, rows = inc.corr_keys, machine.get(inc.id, {})
        if any(k.startswith(LOCATION_PREFIXES) for k in corr):
            # Written before machine keys had rows (or by such a replica): the next save moves them.
            for k, v in rows.items():
                if corr.get(k, v) <= v:
                    corr[k] = v
            inc.ledger = None
            continue
        shared = dict(corr)
        corr.update(rows)
        inc.ledger = CorrLedger(corr, shared, len(rows))
