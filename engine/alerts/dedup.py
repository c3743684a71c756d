"""Dedup stage: decide what one alert delivery means given what we already know."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from enum import Enum

from engine.alerts.types import AlertEvent, AlertState, Status


class Dedup(str, Enum):
    """The named outcomes of the dedup stage."""

    NEW = "new"                        # first firing of this fingerprint
    REFIRE = "refire"                  # fires again after a resolve outside the flap window
    FLAP = "flap"                      # fires again within the flap window: absorbed
    REPEAT = "repeat_delivery"         # same occurrence delivered again: absorbed
    RESOLVED = "resolved"              # a firing alert resolved
    REPEAT_RESOLVE = "repeated_resolve"  # resolved again: absorbed
    RESOLVED_UNSEEN = "resolved_unseen"  # resolve for an alert never seen firing: recorded only
    STALE = "stale"                    # an older occurrence delivered late (HA, retries): absorbed


REPEAT_REASON = "repeat delivery of a firing alert"
NEW_REASON = "first time this fingerprint fires"
ABSORBED = frozenset({Dedup.FLAP, Dedup.REPEAT, Dedup.REPEAT_RESOLVE, Dedup.STALE, Dedup.RESOLVED_UNSEEN})
FIRES = frozenset({Dedup.NEW, Dedup.REFIRE, Dedup.FLAP})
# Absorbed repeats that only move counters: no decision row, only a light update of the alert row
# (Alertmanager re-sends every resolved alert of a group with each notification).
QUIET = frozenset({Dedup.REPEAT, Dedup.REPEAT_RESOLVE})


@dataclass(frozen=True, slots=True)
class DedupDecision:
    """A dedup verdict and the reason a person can read."""

    kind: Dedup
    reason: str


# The verdicts whose reason never varies, built once: dedup runs for every delivered alert.
_NEW = DedupDecision(Dedup.NEW, NEW_REASON)
_UNSEEN = DedupDecision(Dedup.RESOLVED_UNSEEN, "resolved before Opsbot ever saw it fire")
_REPEAT = DedupDecision(Dedup.REPEAT, REPEAT_REASON)
_RESOLVED = DedupDecision(Dedup.RESOLVED, "alert resolved")
_REPEAT_VALUE = Dedup.REPEAT.value
_REPEAT_RESOLVE_VALUE = Dedup.REPEAT_RESOLVE.value


def decide_dedup(prev: AlertState | None, ev: AlertEvent, now: datetime,
                 flap_window_s: float) -> DedupDecision:
    """Classify one delivery against the fingerprint's stored state."""
    firing = ev.status is Status.FIRING
    if prev is None:
        if firing:
            return _NEW
        return _UNSEEN
    if ev.starts_at < prev.starts_at:
        return DedupDecision(Dedup.STALE, f"late delivery of an occurrence that started "
                                          f"{ev.starts_at:%H:%M:%S}, before the current one")
    same_occurrence = ev.starts_at == prev.starts_at
    if firing:
        if prev.status is Status.FIRING:
            if same_occurrence:
                return _REPEAT
            # A new start while we still think it fires: we missed the resolve in between.
            return DedupDecision(Dedup.FLAP, "restarted without a resolve in between")
        if same_occurrence:
            return DedupDecision(Dedup.STALE, "firing delivery for an occurrence already resolved")
        gap = (now - (prev.resolved_at or prev.last_seen_at)).total_seconds()
        if gap <= flap_window_s:
            return DedupDecision(Dedup.FLAP, f"fired again {gap:.0f}s after resolving "
                                             f"(flap window {flap_window_s:.0f}s), flap #{prev.flaps + 1}")
        return DedupDecision(Dedup.REFIRE, f"fired again {gap:.0f}s after resolving")
    if prev.status is Status.RESOLVED:
        return DedupDecision(Dedup.REPEAT_RESOLVE, f"resolved again (#{prev.repeat_resolves + 1})")
    return _RESOLVED


def absorb_repeat(prev: AlertState | None, ev: AlertEvent, now: datetime) -> str | None:
    """Absorb a repeat delivery (firing or resolved) of a clean state; return its kind, else None.

    A storm's commonest deliveries, decided and applied in one step: exactly what decide_dedup
    (REPEAT or REPEAT_RESOLVE) followed by apply_dedup does on a state with no pending full write.
    """
    if prev is None or prev.dirty or ev.status is not prev.status:
        return None
    if ev.status is Status.FIRING:
        if ev.starts_at != prev.starts_at:
            return None
        prev.last_decision, prev.last_reason = _REPEAT_VALUE, REPEAT_REASON
    else:
        if ev.starts_at < prev.starts_at:
            return None  # stale: decide_dedup names it
        prev.repeat_resolves += 1
        prev.last_decision, prev.last_reason = _REPEAT_RESOLVE_VALUE, f"resolved again (#{prev.repeat_resolves})"
    prev.last_seen_at = now
    prev.deliveries += 1
    prev.touched += 1
    return prev.last_decision


def apply_dedup(prev: AlertState | None, ev: AlertEvent, d: DedupDecision, now: datetime) -> AlertState:
    """Return the fingerprint's new state after a delivery (mutating prev when given)."""
    if prev is None:
        # Positional, in AlertState's field order (checked below): every alert of a storm's onset
        # is built here, and thirteen keywords cost the generated __init__ 1.5 µs against 0.4.
        return AlertState(ev.fingerprint, ev.status, ev.labels, ev.annotations, ev.starts_at, ev.ends_at,
                          now, now, ev.source, ev.group_key, None, None,
                          now if ev.status is Status.RESOLVED else None, 1, 0, 0, d.kind._value_, d.reason)
    s = prev
    s.last_seen_at = now
    s.deliveries += 1
    if d.kind in QUIET and not s.dirty:
        # The commonest deliveries in a storm change only counters: keep the write cheap.
        s.touched += 1
        s.repeat_resolves += d.kind is Dedup.REPEAT_RESOLVE
        s.last_decision, s.last_reason = d.kind._value_, d.reason  # _value_: no enum property lookup
        return s
    s.last_decision, s.last_reason, s.dirty = d.kind.value, d.reason, True
    if d.kind is Dedup.STALE:
        return s
    if d.kind is Dedup.REPEAT_RESOLVE:
        s.repeat_resolves += 1
        return s
    s.annotations = ev.annotations  # annotations carry current values; keep the latest
    if ev.group_key:
        s.group_key = ev.group_key
    if d.kind in (Dedup.FLAP, Dedup.REFIRE):
        s.flaps += d.kind is Dedup.FLAP
        s.starts_at, s.ends_at, s.status, s.resolved_at = ev.starts_at, ev.ends_at, Status.FIRING, None
    elif d.kind is Dedup.RESOLVED:
        s.status, s.ends_at, s.resolved_at = Status.RESOLVED, ev.ends_at, now
    return s


assert [f.name for f in fields(AlertState)][:18] == [
    "fingerprint", "status", "labels", "annotations", "starts_at", "ends_at", "first_seen_at", "last_seen_at",
    "source", "group_key", "incident_id", "inhibited_by", "resolved_at", "deliveries", "flaps", "repeat_resolves",
    "last_decision", "last_reason"], "apply_dedup builds AlertState positionally in this order"
