"""Replay a labelled alert stream through the real pipeline and score its grouping."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from math import comb
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import SQLModel

from engine.alerts.config import AlertsConfig
from engine.alerts.ingest import AlertIngest
from engine.alerts.streamio import TRUTH, read_stream  # noqa: F401  (re-exported)
from engine.alerts.tables import AlertRow
from engine.core.clock import FakeClock, utc
from engine.errors import InvalidInput
from engine.core.outbox import emit_many
from engine.core.outbox_tables import OutboxItem
from engine.store.db import Database


@dataclass
class GroupingReport:
    """The scores `opsbot eval grouping` prints."""

    deliveries: int
    alerts_in: int  # firing alert entries received (what a channel without Opsbot would show)
    alerts: int  # distinct alert occurrences (fingerprint, start) with a truth label
    true_incidents: int
    incidents: int
    compression: float  # 1 - incidents / alerts
    compression_ceiling: float  # 1 - true_incidents / alerts: the best any grouping can do
    precision: float
    recall: float
    f1: float
    ari: float
    lost_incidents: int  # true incidents none of whose alerts reached a posted incident message
    slack_messages: int
    deferred_batches: int


def pairwise(pred: list[Any], truth: list[Any]) -> tuple[float, float, float]:
    """Return pairwise precision, recall and F1 of a clustering against the truth."""
    cells = Counter(zip(pred, truth))
    tp = sum(comb(n, 2) for n in cells.values())
    pp = sum(comb(n, 2) for n in Counter(pred).values())
    tt = sum(comb(n, 2) for n in Counter(truth).values())
    p = tp / pp if pp else 1.0
    r = tp / tt if tt else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _strip_truth(body: dict[str, Any]) -> tuple[bytes, list[tuple[dict[str, Any], str | None]]]:
    alerts = []
    clean = dict(body)
    clean["alerts"] = []
    for a in body.get("alerts", []):
        a = dict(a)
        truth = a.pop(TRUTH, None)
        # Some generators put the truth among labels or annotations: the pipeline must not see
        # it there either (it would even change fingerprints computed from labels).
        for part in ("labels", "annotations"):
            if isinstance(a.get(part), dict) and TRUTH in a[part]:
                a[part] = dict(a[part])
                found = a[part].pop(TRUTH)
                truth = truth if truth is not None else found
        alerts.append((a, truth))
        clean["alerts"].append(a)
    return json.dumps(clean).encode(), alerts


async def replay(deliveries: list[dict[str, Any]], cfg: AlertsConfig, db_url: str | None = None) -> GroupingReport:
    """Feed deliveries in time order to a fresh store with a simulated clock and score the result."""
    import engine.alerts.tables  # noqa: F401 - registers its tables with SQLModel.metadata
    import engine.core.outbox_tables  # noqa: F401 - registers its tables with SQLModel.metadata

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(db_url or f"sqlite:///{Path(tmp) / 'replay.db'}")
        await db.run_sync(SQLModel.metadata.create_all)
        try:
            return await _replay(db, deliveries, cfg)
        finally:
            await db.dispose()


async def _replay(db: Database, deliveries: list[dict[str, Any]], cfg: AlertsConfig) -> GroupingReport:
    times = [utc(datetime.fromisoformat(d["at"])) if d.get("at") else None for d in deliveries]
    clock = FakeClock(next((t for t in times if t), None))
    ingest = AlertIngest(db, cfg, clock, emit_many)
    occurrence: dict[tuple[str, str], tuple[str, int | None]] = {}  # (fp, start) -> (truth, incident)
    alerts_in = deferred = 0
    last_tick = clock.now()
    step = timedelta(seconds=cfg.tick_interval_s)
    for d, at in zip(deliveries, times):
        # The scheduler ticks on its own between deliveries, as it would in production.
        while at and last_tick + step <= at:
            last_tick += step
            clock.set(last_tick)
            await ingest.tick()
        if at and at > clock.now():
            clock.set(at)
        raw, alerts = _strip_truth(d["body"])
        try:
            res = await ingest.receive(d.get("source", "alertmanager"), raw)
        except InvalidInput as exc:  # name the stream line, not just the field inside the body
            raise InvalidInput(f"line {d.get('line', '?')}: {exc.message}", hint=exc.hint) from None
        deferred += res.deferred
        batch = ingest.parse(d.get("source", "alertmanager"), raw)
        fresh = []
        for ev, (_, truth) in zip(batch.alerts, alerts):
            if ev.status.value == "firing":
                alerts_in += 1
                key = (ev.fingerprint, ev.starts_at.isoformat())
                if truth is not None and key not in occurrence:
                    fresh.append(key)
                    occurrence[key] = (truth, None)
        if fresh:
            async with db.session() as s:
                rows = dict((await s.execute(select(AlertRow.fingerprint, AlertRow.incident_id).where(
                    AlertRow.fingerprint.in_({k[0] for k in fresh})))).all())
            for key in fresh:
                occurrence[key] = (occurrence[key][0], rows.get(key[0]))
    async with db.session() as s:
        posted = {k for (k,) in (await s.execute(select(OutboxItem.key).where(
            OutboxItem.thread_key.is_(None)))).all()}
    return _score(occurrence, posted, len(deliveries), alerts_in, deferred)


def adjusted_rand(pred: list[Any], truth: list[Any]) -> float:
    """Return the adjusted Rand index (Hubert and Arabie) of two labelings."""
    n = len(pred)
    if n < 2:
        return 1.0
    index = sum(comb(c, 2) for c in Counter(zip(pred, truth)).values())
    a = sum(comb(c, 2) for c in Counter(pred).values())
    b = sum(comb(c, 2) for c in Counter(truth).values())
    expected = a * b / comb(n, 2)
    top = (a + b) / 2
    return 1.0 if top == expected else (index - expected) / (top - expected)


def _score(occ: dict, posted: set[str], n_deliveries: int, alerts_in: int, deferred: int) -> GroupingReport:
    truth = [t for t, _ in occ.values()]
    pred = [i if i is not None else f"none-{n}" for n, (_, i) in enumerate(occ.values())]
    p, r, f1 = pairwise(pred, truth)
    reached: dict[str, bool] = {}
    for t, i in occ.values():
        reached[t] = reached.get(t, False) or (i is not None and f"incident:{i}" in posted)
    incidents = len({i for _, i in occ.values() if i is not None})
    return GroupingReport(
        deliveries=n_deliveries, alerts_in=alerts_in, alerts=len(occ), true_incidents=len(reached),
        incidents=incidents, compression=1 - incidents / len(occ) if occ else 0.0,
        compression_ceiling=1 - len(reached) / len(occ) if occ else 0.0,
        precision=p, recall=r, f1=f1, ari=adjusted_rand(pred, truth),
        lost_incidents=sum(1 for v in reached.values() if not v),
        slack_messages=len(posted), deferred_batches=deferred)


def format_report(rep: GroupingReport) -> str:
    """Render a report as aligned text lines."""
    rows = asdict(rep)
    return "\n".join(f"{k:<18} {v:.3f}" if isinstance(v, float) else f"{k:<18} {v}" for k, v in rows.items())
