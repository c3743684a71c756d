"""Gate parsing and evaluation: metric comparisons against the current holder, tags, errors."""

from __future__ import annotations

import pytest

from engine.errors import InvalidInput
from engine.models.gates import BinOp, Num, Ref, Word, parse_gate
from engine.models.verdicts import Snapshot, evaluate_all, evaluate_gate

CHAMP = Snapshot(3, {"auc": 0.950, "latency_p95_ms": 40.0}, {"validation_status": "passed"})


def run(text: str, cand: Snapshot, holders: dict | None = None, alias: str = "champion"):
    return evaluate_gate(parse_gate(text), cand, {"champion": CHAMP} if holders is None else holders, alias)


def test_parses_precedence_and_scopes() -> None:
    g = parse_gate("latency_p95_ms <= 1.1 * champion.latency_p95_ms + 2")
    assert g.left == Ref("candidate", "latency_p95_ms") and g.op == "<="
    assert g.right == BinOp("+", BinOp("*", Num(1.1), Ref("champion", "latency_p95_ms")), Num(2.0))


def test_bare_word_after_equals_is_a_tag_value() -> None:
    g = parse_gate("validation_status == passed")
    assert g.is_tag_gate and g.right == Word("passed")
    assert parse_gate('owner != "team a"').right == Word("team a")


def test_auc_within_tolerance_passes_with_delta() -> None:
    r = run("auc >= champion.auc - 0.002", Snapshot(4, {"auc": 0.9485}))
    assert r.passed and r.subject == "auc"
    assert r.candidate == 0.9485 and r.current == 0.950
    assert r.delta == pytest.approx(-0.0015) and r.threshold == pytest.approx(0.948)


def test_auc_below_tolerance_fails_with_reason() -> None:
    r = run("auc >= champion.auc - 0.002", Snapshot(4, {"auc": 0.947}))
    assert not r.passed and "is not >=" in r.reason


def test_latency_ratio_gate() -> None:
    assert run("latency_p95_ms <= 1.1 * champion.latency_p95_ms", Snapshot(4, {"latency_p95_ms": 44.0})).passed
    slow = run("latency_p95_ms <= 1.1 * champion.latency_p95_ms", Snapshot(4, {"latency_p95_ms": 44.1}))
    assert not slow.passed and slow.delta == pytest.approx(4.1)


def test_current_prefix_reads_the_targeted_alias() -> None:
    chall = Snapshot(5, {"auc": 0.96})
    r = run("auc >= current.auc", Snapshot(6, {"auc": 0.955}), {"champion": CHAMP, "challenger": chall}, "challenger")
    assert not r.passed and r.current == 0.96


def test_no_current_holder_passes_and_says_why() -> None:
    r = run("auc >= champion.auc - 0.002", Snapshot(1, {"auc": 0.5}), holders={})
    assert r.passed and "no current holder" in r.reason


def test_candidate_without_metric_fails() -> None:
    r = run("auc >= champion.auc", Snapshot(4, {}))
    assert not r.passed and "the candidate" in r.reason and "auc" in r.reason


def test_absolute_threshold_needs_no_holder() -> None:
    assert run("auc >= 0.9", Snapshot(1, {"auc": 0.91}), holders={}).passed
    assert not run("auc >= 0.9", Snapshot(1, {"auc": 0.89}), holders={}).passed


def test_tag_gates() -> None:
    assert run("validation_status == passed", Snapshot(4, tags={"validation_status": "passed"})).passed
    failed = run("validation_status == passed", Snapshot(4, tags={"validation_status": "failed"}))
    assert not failed.passed and "`failed`" in failed.reason
    missing = run("validation_status == passed", Snapshot(4))
    assert not missing.passed and "missing" in missing.reason


def test_division_by_zero_fails_cleanly() -> None:
    r = run("auc >= champion.auc / 0", Snapshot(4, {"auc": 1.0}))
    assert not r.passed and "cannot evaluate" in r.reason


@pytest.mark.parametrize("bad", [
    "auc >= ", "auc", "auc >= champion.auc )", "__import__('os') == 1", "auc >= 1; rm -rf /",
    'auc > "passed"', "auc >= (1 + 2", "auc = 1",
])
def test_malformed_gates_are_invalid_input(bad: str) -> None:
    with pytest.raises(InvalidInput):
        parse_gate(bad)


def test_evaluate_all_keeps_order() -> None:
    gates = [parse_gate("auc >= champion.auc - 0.002"), parse_gate("validation_status == passed")]
    out = evaluate_all(gates, Snapshot(4, {"auc": 0.96}, {"validation_status": "passed"}), {"champion": CHAMP}, "champion")
    assert [r.subject for r in out] == ["auc", "validation_status"] and all(r.passed for r in out)
