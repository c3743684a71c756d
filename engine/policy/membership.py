"""Role membership: Slack user ids and user groups, group members fetched through a port
and cached with expiry."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from engine.actor import Actor
from engine.core.clock import Clock
from engine.errors import Unavailable
from engine.policy.config import PolicyConfig
from engine.ports import UsergroupDirectory

log = logging.getLogger("opsbot.policy")


class MembershipCache:
    """Caches user-group members for `ttl_s`; serves a stale copy for one more ttl if Slack fails."""

    def __init__(self, directory: UsergroupDirectory | None, clock: Clock, ttl_s: float) -> None:
        self.directory = directory
        self.clock = clock
        self.ttl = timedelta(seconds=ttl_s)
        self._cache: dict[str, tuple[datetime, frozenset[str]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def members(self, group: str) -> frozenset[str]:
        """Return the members of a user group, fetching when the cached copy expired."""
        now = self.clock.now()
        hit = self._cache.get(group)
        if hit and now - hit[0] < self.ttl:
            return hit[1]
        if self.directory is None:
            return frozenset()
        lock = self._locks.setdefault(group, asyncio.Lock())
        async with lock:  # one fetch per group even when many clicks arrive together
            hit = self._cache.get(group)
            if hit and self.clock.now() - hit[0] < self.ttl:
                return hit[1]
            try:
                users = frozenset(await self.directory.usergroup_members(group))
            except Exception as exc:  # noqa: BLE001 - any Slack failure: stale copy or refuse
                if hit and now - hit[0] < 2 * self.ttl:
                    log.warning("usergroup %s refresh failed, using cached members: %s", group, exc)
                    return hit[1]
                raise Unavailable(f"cannot read members of user group {group} from Slack",
                                  hint="try again in a minute") from exc
            self._cache[group] = (self.clock.now(), users)
            return users

    def invalidate(self, group: str | None = None) -> None:
        """Forget cached members (all groups, or one)."""
        if group is None:
            self._cache.clear()
        else:
            self._cache.pop(group, None)


async def roles_of(actor: Actor, config: PolicyConfig, cache: MembershipCache) -> frozenset[str]:
    """Return the names of every role the actor holds."""
    held = set()
    for name, role in config.roles.items():
        if actor.user_id in role.users or actor.groups.intersection(role.usergroups):
            held.add(name)
            continue
        for group in role.usergroups:
            if actor.user_id in await cache.members(group):
                held.add(name)
                break
    return frozenset(held)
