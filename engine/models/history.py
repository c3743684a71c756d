"""Pure reading of the alias history: who held an alias before, for rollback."""

from __future__ import annotations

from typing import Iterable, Protocol


class _Change(Protocol):
    from_version: int | None
    to_version: int | None
    kind: str


def holder_stack(changes: Iterable[_Change]) -> list[int]:
    """Return earlier holders, oldest first, from done changes in order; a rollback pops one."""
    stack: list[int] = []
    for c in changes:
        if c.kind == "rollback" and stack and stack[-1] == c.to_version:
            stack.pop()  # a rollback consumes the holder it returned to, so a second one goes further back
        elif c.from_version is not None and c.from_version != c.to_version:
            stack.append(c.from_version)
    return stack


def previous_holder(changes: Iterable[_Change], current: int | None) -> int | None:
    """Return the version a rollback should restore (skipping the current holder), or None."""
    for version in reversed(holder_stack(changes)):
        if version != current:
            return version
    return None
