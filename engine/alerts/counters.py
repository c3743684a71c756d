"""Repeat-delivery counters, written behind: at most `counter_flush_s` late, as increments.

A storm's commonest delivery is a repeat: an alert Opsbot already holds, unchanged. It changes
only bookkeeping (deliveries, repeated resolves, when it was last seen and the last dedup
decision); the delivery itself is durable in its raw batch row. Writing that bookkeeping on
every transaction was the largest single cost of ingest on PostgreSQL (one row version per
alert per batch), so the writer keeps it in memory and writes each alert's counters once per
`counter_flush_s`. Rows are written as increments (and "latest wins" for the rest), so a write
is right whatever another replica wrote meanwhile; what is lost to a crash or a failed
transaction is at most `counter_flush_s` of repeat counts, never an alert, a state change or a
decision.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from engine.store.bulk import Bulk, json_rows
from engine.alerts.types import AlertState

_SQLITE = ("UPDATE alerts_alert SET deliveries = deliveries + ?, repeat_resolves = repeat_resolves + ?, "
           "last_decision = CASE WHEN ? >= last_seen_at THEN ? ELSE last_decision END, "
           "last_reason = CASE WHEN ? >= last_seen_at THEN ? ELSE last_reason END, "
           "last_seen_at = max(last_seen_at, ?) WHERE fingerprint = ?")
_PG = ("UPDATE alerts_alert AS a SET deliveries = a.deliveries + u.d, "
       "repeat_resolves = a.repeat_resolves + u.r, last_seen_at = GREATEST(a.last_seen_at, u.t), "
       "last_decision = CASE WHEN u.t >= a.last_seen_at THEN u.n ELSE a.last_decision END, "
       "last_reason = CASE WHEN u.t >= a.last_seen_at THEN u.w ELSE a.last_reason END "
       "FROM (SELECT e->>0, (e->>1)::int, (e->>2)::int, (e->>3)::timestamptz, e->>4, e->>5 "
       "FROM jsonb_array_elements($1::jsonb) AS e) AS u(fp, d, r, t, n, w) WHERE a.fingerprint = u.fp")


class PendingCounters:
    """This writer's repeat-delivery counters not yet in the store, oldest first."""

    def __init__(self, flush_s: float) -> None:
        self.flush_s = timedelta(seconds=flush_s)
        self._held: dict[str, tuple[AlertState, datetime]] = {}  # insertion order = first touch

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, st: AlertState, now: datetime) -> None:
        """Remember a state whose counters moved since it was last written."""
        if st.fingerprint not in self._held:
            self._held[st.fingerprint] = (st, now)

    def written(self, fingerprint: str) -> None:
        """Forget a state a full row write just stored, counters included."""
        if self._held:
            self._held.pop(fingerprint, None)

    def drop(self) -> None:
        """Forget everything held (its transaction failed: the counts may include undone work)."""
        self._held.clear()

    def overlay(self, stored: AlertState) -> AlertState:
        """Add what is held for this alert to its stored state (so reads are current)."""
        held = self._held.get(stored.fingerprint)
        if held is None:
            return stored
        st = held[0]
        stored.deliveries += st.touched
        stored.repeat_resolves += st.repeat_resolves - st.written_repeat_resolves
        if st.last_seen_at >= stored.last_seen_at:
            stored.last_seen_at, stored.last_decision, stored.last_reason = (
                st.last_seen_at, st.last_decision, st.last_reason)
        return stored

    def take(self, now: datetime | None = None) -> list[AlertState]:
        """Remove and return the states held for flush_s at `now`, or all of them (no `now`)."""
        cutoff = None if now is None else now - self.flush_s
        out = []
        for st, since in self._held.values():
            if cutoff is not None and since > cutoff:
                break  # first-touch order: the rest are younger
            out.append(st)
        for st in out:
            del self._held[st.fingerprint]
        return out


async def write(b: Bulk, states: list[AlertState]) -> None:
    """Add the held counts of these states to their rows (one statement)."""
    if not states:
        return
    rows = []
    for st in states:
        rows.append((st.fingerprint, st.touched, st.repeat_resolves - st.written_repeat_resolves,
                     b.ts(st.last_seen_at), st.last_decision, st.last_reason[:500]))
        st.touched, st.written_repeat_resolves = 0, st.repeat_resolves
    if b.pg:  # one statement for the whole set instead of one per row (see bulk.json_rows_sql)
        await b.driver.execute(_PG, json_rows(rows))
    else:
        await b.executemany(_SQLITE, [(d, r, t, n, t, w, t, fp) for fp, d, r, t, n, w in rows])
