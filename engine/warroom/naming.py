"""Slack channel names for incidents: `inc-<id>-<slug>`, within Slack's rules."""

from __future__ import annotations

import re

MAX_NAME = 80  # Slack's limit on channel names
SLUG_CHARS = 40


def slug(title: str, limit: int = SLUG_CHARS) -> str:
    """Return a title as lowercase words joined by hyphens (Slack allows no spaces or periods)."""
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return words[:limit].rstrip("-")


def channel_name(prefix: str, incident_id: int, title: str) -> str:
    """Return the channel name for an incident, e.g. `inc-42-checkout-latency`."""
    base = f"{prefix}-{incident_id}"
    words = slug(title, min(SLUG_CHARS, MAX_NAME - len(base) - 1))
    return f"{base}-{words}" if words else base


def with_suffix(name: str, n: int) -> str:
    """Return the n-th alternative of a taken name (`-2`, `-3`, ...), still within 80 chars."""
    tail = f"-{n}"
    return name[:MAX_NAME - len(tail)].rstrip("-") + tail
