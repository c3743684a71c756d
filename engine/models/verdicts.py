"""Evaluate parsed gates and freeze windows into per-gate results a person can read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Iterable

from engine.models.freeze import FreezeWindow, active_window
from engine.models.gates import BinOp, Expr, Gate, Neg, Num, Ref, Word


@dataclass(frozen=True)
class Snapshot:
    """What a gate may read about one version: its number, run metrics and tags."""

    version: int
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GateResult:
    """One row of the gate diff: subject, candidate vs current, delta, verdict and why."""

    gate: str
    subject: str
    candidate: float | str | None
    current: float | str | None
    threshold: float | str | None
    delta: float | None
    passed: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


class _Missing(Exception):
    def __init__(self, who: str, metric: str) -> None:
        super().__init__(f"{who} has no metric `{metric}`")
        self.who = who


def _value(e: Expr, cand: Snapshot, holders: dict[str, Snapshot], alias: str) -> float:
    if isinstance(e, Num):
        return e.value
    if isinstance(e, Neg):
        return -_value(e.operand, cand, holders, alias)
    if isinstance(e, BinOp):
        a, b = _value(e.left, cand, holders, alias), _value(e.right, cand, holders, alias)
        if e.op == "/" and b == 0:
            raise ZeroDivisionError("division by zero")
        return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else 0.0}[e.op]
    if isinstance(e, Ref):
        snap, who = _snapshot(e.scope, cand, holders, alias)
        if snap is None:
            raise _Missing(who, e.metric)  # handled by the caller: no holder means nothing to compare
        if e.metric not in snap.metrics:
            raise _Missing(f"{who} (v{snap.version})", e.metric)
        return float(snap.metrics[e.metric])
    raise TypeError(f"a word cannot be used in arithmetic: {e}")


def _snapshot(scope: str, cand: Snapshot, holders: dict[str, Snapshot], alias: str) -> tuple[Snapshot | None, str]:
    if scope == "candidate":
        return cand, "the candidate"
    target = alias if scope == "current" else scope
    return holders.get(target), f"`{target}`"


def _refs_holder(e: Expr) -> bool:
    if isinstance(e, Ref):
        return e.scope != "candidate"
    if isinstance(e, BinOp):
        return _refs_holder(e.left) or _refs_holder(e.right)
    return isinstance(e, Neg) and _refs_holder(e.operand)


def _compare(a: Any, op: str, b: Any) -> bool:
    return {">=": a >= b, "<=": a <= b, ">": a > b, "<": a < b, "==": a == b, "!=": a != b}[op]


def _tag_gate(gate: Gate, cand: Snapshot) -> GateResult:
    assert isinstance(gate.left, Ref) and isinstance(gate.right, Word)
    key, want = gate.left.metric, gate.right.text
    got = cand.tags.get(key)
    ok = got is not None and _compare(got, gate.op, want)
    reason = (f"tag `{key}` is missing" if got is None else
              f"tag `{key}` is `{got}`" + ("" if ok else f", needs {gate.op} `{want}`"))
    return GateResult(gate.source, key, got, None, want, None, ok, reason)


def evaluate_gate(gate: Gate, cand: Snapshot, holders: dict[str, Snapshot], alias: str) -> GateResult:
    """Evaluate one gate for `cand` replacing the holder of `alias` (holders: alias -> snapshot)."""
    if gate.is_tag_gate:
        return _tag_gate(gate, cand)
    subject = gate.subject
    cur_snap = holders.get(alias)
    cur_val = cur_snap.metrics.get(subject) if cur_snap else None
    cand_val = cand.metrics.get(subject)
    delta = cand_val - cur_val if cand_val is not None and cur_val is not None else None
    try:
        left = _value(gate.left, cand, holders, alias)
        right = _value(gate.right, cand, holders, alias)
    except _Missing as miss:
        if miss.who.startswith("`") and (_refs_holder(gate.left) or _refs_holder(gate.right)):
            return GateResult(gate.source, subject, cand_val, None, None, None, True,
                              f"no current holder of {miss.who}: nothing to compare with")
        return GateResult(gate.source, subject, cand_val, cur_val, None, delta, False, str(miss))
    except (ZeroDivisionError, TypeError) as exc:
        return GateResult(gate.source, subject, cand_val, cur_val, None, delta, False, f"cannot evaluate: {exc}")
    ok = _compare(left, gate.op, right)
    shown = right if isinstance(gate.left, Ref) else left
    reason = (f"{left:.6g} {gate.op} {right:.6g}" if ok else f"{left:.6g} is not {gate.op} {right:.6g}")
    return GateResult(gate.source, subject, cand_val, cur_val, round(shown, 9), delta, ok, reason)


def freeze_result(windows: Iterable[FreezeWindow], now: datetime) -> GateResult | None:
    """Return a failing result when now falls in a freeze window, else None."""
    hit = active_window(windows, now)
    if hit is None:
        return None
    return GateResult(f"freeze {hit.name}", "freeze window", None, None, None, None, False,
                      f"inside freeze window `{hit.name}` ({hit.describe()})")


def evaluate_all(gates: Iterable[Gate], cand: Snapshot, holders: dict[str, Snapshot], alias: str,
                 windows: Iterable[FreezeWindow] = (), now: datetime | None = None) -> list[GateResult]:
    """Evaluate every gate, then the freeze windows (when `now` is given)."""
    out = [evaluate_gate(g, cand, holders, alias) for g in gates]
    if now is not None and (frozen := freeze_result(windows, now)) is not None:
        out.append(frozen)
    return out
