"""What people's Split and Merge teach grouping: the feedback port, its in-memory twin, and replay.

Every correction says "these alert keys belong apart" (a split: the moved alerts against the
ones that stayed) or "these belong together" (a merge: the two incidents' alerts). The grouping
model reads those pairs through `GroupingFeedback`; the store keeps every correction, so the
statistics are rebuilt at startup by `replay_corrections` instead of being lost on restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import AsyncIterator, Iterable, Mapping, Protocol

SPLIT, MERGE = "split", "merge"
MAX_KEYS = 200  # keys kept per side of one correction: a storm's thousand names teach no more


class GroupingFeedback(Protocol):
    """Co-occurrence statistics the grouping model reads (the model's CoOccurrence fits it)."""

    def observe(self, keys_a: Iterable[str], keys_b: Iterable[str], together: bool,
                weight: float = 1.0) -> None:
        """Count that alerts with keys_a and keys_b belong together (or apart)."""
        ...


@dataclass(frozen=True, slots=True)
class Lesson:
    """One stored correction as grouping learns from it."""

    kind: str  # split | merge
    keys_moved: tuple[str, ...]
    keys_other: tuple[str, ...]

    @property
    def together(self) -> bool:
        """Return True for a merge (the sides belong together), False for a split."""
        return self.kind == MERGE


class LessonSource(Protocol):
    """Where stored corrections are read back from (corrections_store.CorrectionLog)."""

    def lessons(self) -> AsyncIterator[Lesson]:
        """Yield every stored correction, oldest first."""
        ...


def alert_key(labels: Mapping[str, str], service_label: str = "service") -> str:
    """Return the key a correction teaches about: the alert's name on its service.

    Not the fingerprint: a lesson about `HighLatency@checkout` applies to the next such alert,
    which will have another fingerprint (another instance, another pod).
    """
    name = labels.get("alertname", "")
    svc = labels.get(service_label, "")
    return f"{name}@{svc}" if svc else name


def side(keys: Iterable[str]) -> list[str]:
    """Return one side of a lesson: distinct keys, sorted, at most MAX_KEYS."""
    return sorted(set(keys))[:MAX_KEYS]


class PairCounts:
    """The in-memory GroupingFeedback: weighted together/apart counts per unordered key pair.

    Keys on both sides of a lesson are not paired with themselves: a split of two
    `HighLatency@checkout` alerts says nothing about that key against itself.
    """

    def __init__(self) -> None:
        self.together: dict[tuple[str, str], float] = {}
        self.apart: dict[tuple[str, str], float] = {}
        self.observed = 0

    def observe(self, keys_a: Iterable[str], keys_b: Iterable[str], together: bool,
                weight: float = 1.0) -> None:
        """Count every cross pair of keys_a and keys_b as together or apart."""
        into = self.together if together else self.apart
        b = set(keys_b)
        for x in set(keys_a):
            for y in b:
                if x != y:
                    pair = (x, y) if x < y else (y, x)
                    into[pair] = into.get(pair, 0.0) + weight
        self.observed += 1

    def lean(self, a: str, b: str) -> float:
        """Return together minus apart for a pair (> 0: people put them together more often)."""
        pair = (a, b) if a < b else (b, a)
        return self.together.get(pair, 0.0) - self.apart.get(pair, 0.0)


def teach(feedback: GroupingFeedback, lesson: Lesson) -> None:
    """Feed one correction into the statistics."""
    feedback.observe(lesson.keys_moved, lesson.keys_other, lesson.together)


async def replay_corrections(store: LessonSource, feedback: GroupingFeedback) -> int:
    """Feed every stored correction into feedback, oldest first; return how many."""
    n = 0
    async for lesson in store.lessons():
        teach(feedback, lesson)
        n += 1
    return n
