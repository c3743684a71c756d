"""Per-key token buckets: Slack allows about one message per second per channel."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """A token bucket per key (channel id) refilled at `rate` tokens per second."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, now: float) -> int | None:
        """Take one token; return None when allowed, else whole seconds to wait (>= 1)."""
        if self.rate <= 0:
            return None  # a non-positive rate disables limiting (relaxed tests)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        # Retry-After is an integer number of seconds in Slack's answers.
        return max(1, math.ceil((1.0 - bucket.tokens) / self.rate))
