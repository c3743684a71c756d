"""Learned co-occurrence of alert group keys: which kinds of alert tend to share an incident.

A group key is `alertname|service` (model.group_key). Evidence arrives as weighted pair
observations: every incident that closes says its keys were together; a person's Split says
two sets of keys were not, a Merge that they were. The score is a smoothed share of
together-evidence, so a pair never seen scores 0 and a pair split apart as often as it was
seen together scores well below one seen together only.
"""

from __future__ import annotations

from typing import Container, Iterable

MAX_KEYS = 64  # keys of one incident that learn from it: a huge incident is a storm, not a pattern


class CoOccurrence:
    """In-memory pair statistics over group keys, learned online (not persisted)."""

    def __init__(self, prior: float = 1.0) -> None:
        self.prior = prior  # pseudo-count of "apart" evidence every pair starts with
        self._pairs: dict[str, dict[str, list[float]]] = {}  # key -> partner -> [together, apart]
        self.version = 0  # changes with every observation: what a reader's cache of scores checks

    def observe(self, keys_a: Iterable[str], keys_b: Iterable[str], together: bool,
                weight: float = 1.0) -> None:
        """Record that every key of keys_a was (or was not) in one incident with every key of keys_b."""
        a = list(dict.fromkeys(keys_a))[:MAX_KEYS]
        b = list(dict.fromkeys(keys_b))[:MAX_KEYS]
        slot = 0 if together else 1
        self.version += 1
        pairs = {(x, y) if x < y else (y, x) for x in a for y in b if x != y}  # each pair once
        for x, y in pairs:
            for p, q in ((x, y), (y, x)):
                cell = self._pairs.setdefault(p, {}).setdefault(q, [0.0, 0.0])
                cell[slot] += weight

    def pair(self, a: str, b: str) -> float:
        """Return the smoothed share of evidence that a and b belong together (0 when never seen)."""
        cell = self._pairs.get(a, {}).get(b)
        if cell is None:
            return 0.0
        t, apart = cell
        return max(0.0, t) / (max(0.0, t) + max(0.0, apart) + self.prior)

    def score(self, key: str, keys: Container[str]) -> float:
        """Return the strongest pair score between key and any of keys."""
        best = 0.0
        for partner in self._pairs.get(key, ()):
            if partner in keys:
                best = max(best, self.pair(key, partner))
        return best

    def partners(self, key: str) -> dict[str, float]:
        """Return every key seen with key, with its pair score (what score() takes the best of)."""
        return {p: self.pair(key, p) for p in self._pairs.get(key, ())}

    def __len__(self) -> int:
        return len(self._pairs)
