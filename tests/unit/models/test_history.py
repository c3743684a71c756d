"""Rollback target from history: walks back through promotions; rollbacks consume holders."""

from __future__ import annotations

from dataclasses import dataclass

from engine.models.history import holder_stack, previous_holder


@dataclass
class C:
    from_version: int | None
    to_version: int | None
    kind: str = "promote"


def test_previous_holder_after_promotions() -> None:
    changes = [C(None, 1), C(1, 2), C(2, 3)]
    assert holder_stack(changes) == [1, 2]
    assert previous_holder(changes, 3) == 2


def test_two_rollbacks_walk_back_twice() -> None:
    changes = [C(None, 1), C(1, 2), C(2, 3), C(3, 2, "rollback")]
    assert previous_holder(changes, 2) == 1
    changes.append(C(2, 1, "rollback"))
    assert previous_holder(changes, 1) is None


def test_outside_changes_count_as_moves() -> None:
    changes = [C(None, 1), C(1, 4, "outside")]
    assert previous_holder(changes, 4) == 1


def test_explicit_rollback_to_other_version_pushes() -> None:
    changes = [C(None, 1), C(1, 2), C(2, 5, "rollback")]  # `rollback ... to 5` is a move, not a pop
    assert holder_stack(changes) == [1, 2]
    assert previous_holder(changes, 5) == 2


def test_no_history_means_no_target() -> None:
    assert previous_holder([], 3) is None
    assert previous_holder([C(None, 3)], 3) is None
