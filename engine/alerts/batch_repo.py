"""Raw webhook batches (alerts_batch): claim them for processing in the request, or queue them for the pump."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, Sequence

from engine.store.bulk import Bulk

_BATCH_COLS = "digest, source, receiver, group_key, body, alert_count, deliveries, received_at, processed_at"


async def claim_batches(b: Bulk, rows: list[tuple[Any, ...]], now: datetime) -> tuple[dict[str, int], set[str]]:
    """Store raw batches as processed now; return digest -> id and the digests to process.

    rows are (digest, source, receiver, group_key, body, alert_count). A digest already stored
    counts one more delivery and is processed only if its earlier processing never finished.
    The caller's transaction makes "stored" and "processed" one atomic step.
    """
    ts = b.ts(now)
    uniq = list({r[0]: r for r in rows}.values())
    n = Counter(r[0] for r in rows)
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(uniq))
    params = [p for r in uniq for p in (*r, n[r[0]], ts, ts)]
    got = await b.fetch(f"INSERT INTO alerts_batch ({_BATCH_COLS}) VALUES {values} "
                        "ON CONFLICT (digest) DO NOTHING RETURNING id, digest", params)
    ids = {r[1]: r[0] for r in got}
    fresh = set(ids)
    known = [r[0] for r in uniq if r[0] not in ids]
    if known:  # retries and HA duplicates: rare next to new bodies
        marks = ", ".join("?" * len(known))
        for bid, digest, done in await b.fetch(
                f"SELECT id, digest, processed_at FROM alerts_batch WHERE digest IN ({marks})", known):
            ids[digest] = bid
            if done is None:
                fresh.add(digest)
        await b.executemany("UPDATE alerts_batch SET deliveries = deliveries + ?, processed_at = "
                            "coalesce(processed_at, ?), error = NULL WHERE digest = ?",
                            [(n[d], ts, d) for d in known])
    return ids, fresh


async def queue_batches(b: Bulk, rows: list[tuple[Any, ...]], now: datetime) -> tuple[dict[str, int], set[str]]:
    """Store raw batches for the pump (processed_at NULL); return digest -> id and the new digests.

    rows are (digest, source, receiver, group_key, body, alert_count). A digest already stored
    (a retry, the other Alertmanager of an HA pair) counts one more delivery and is not queued
    again: the pump processes every stored batch exactly once.
    """
    ts = b.ts(now)
    uniq = list({r[0]: r for r in rows}.values())
    n = Counter(r[0] for r in rows)
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, NULL)"] * len(uniq))
    params = [p for r in uniq for p in (*r, n[r[0]], ts)]
    got = await b.fetch(f"INSERT INTO alerts_batch ({_BATCH_COLS}) VALUES {values} "
                        "ON CONFLICT (digest) DO NOTHING RETURNING id, digest", params)
    ids = {r[1]: r[0] for r in got}
    fresh = set(ids)
    known = [r[0] for r in uniq if r[0] not in ids]
    if known:
        marks = ", ".join("?" * len(known))
        for bid, digest in await b.fetch(f"SELECT id, digest FROM alerts_batch WHERE digest IN ({marks})", known):
            ids[digest] = bid
        await b.executemany("UPDATE alerts_batch SET deliveries = deliveries + ? WHERE digest = ?",
                            [(n[d], d) for d in known])
    return ids, fresh


async def pending_batches(b: Bulk, limit: int) -> list[Sequence[Any]]:
    """Return (id, source, body) of the oldest queued batches (failed ones wait for the retry job)."""
    return await b.fetch("SELECT id, source, body FROM alerts_batch WHERE processed_at IS NULL "
                         "AND error IS NULL ORDER BY id LIMIT ?", [limit])


async def claim_pending(b: Bulk, ids: list[int], now: datetime) -> set[int]:
    """Mark queued batches processed now; return the ids this transaction won (not done before)."""
    marks = ", ".join("?" * len(ids))
    got = await b.fetch(f"UPDATE alerts_batch SET processed_at = ? WHERE id IN ({marks}) "
                        "AND processed_at IS NULL RETURNING id", [b.ts(now), *ids])
    return {r[0] for r in got}


async def mark_failed(b: Bulk, bid: int, error: str) -> None:
    """Record why a queued batch could not be processed (the retry job picks it up)."""
    await b.execute("UPDATE alerts_batch SET error = ? WHERE id = ? AND processed_at IS NULL",
                    [error[:500], bid])
