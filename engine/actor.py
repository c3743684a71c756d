"""Who is asking: the Slack user behind a request."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """A Slack user as the engine sees it: id, display name and user-group ids."""

    user_id: str
    name: str = ""
    groups: frozenset[str] = field(default_factory=frozenset)
    # Other names the person goes by in Slack (real name, display name): on-call schedules and
    # calendars often name people so ("Carol Chen").
    aliases: frozenset[str] = field(default_factory=frozenset)

    @property
    def mention(self) -> str:
        """Return the Slack mention for this user."""
        return f"<@{self.user_id}>"


SYSTEM = Actor(user_id="opsbot", name="opsbot")
