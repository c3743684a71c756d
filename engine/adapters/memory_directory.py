"""In-memory twin of the Slack directory port (user groups); the real adapter is
bot.listeners.admin.SlackUsergroups, since engine/ never imports Slack."""

from __future__ import annotations

from engine.errors import Unavailable


class MemoryUsergroups:
    """User groups held in a dict; answers like Slack's usergroups.users.list, errors included."""

    def __init__(self, members: dict[str, list[str]] | None = None) -> None:
        self.members = {k: list(v) for k, v in (members or {}).items()}
        self.available = True  # flip to False to rehearse a Slack outage
        self.calls = 0  # how many lookups were made, for cache tests

    async def usergroup_members(self, usergroup_id: str) -> list[str]:
        """Return the user ids of a user group; Unavailable for an unknown group or an outage."""
        self.calls += 1
        if not self.available:
            raise Unavailable(f"usergroups.users.list failed for {usergroup_id}: slack is not reachable")
        if usergroup_id not in self.members:
            raise Unavailable(f"usergroups.users.list failed for {usergroup_id}: no_such_subteam")
        return list(self.members[usergroup_id])
