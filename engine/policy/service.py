"""The policy service: resolves an actor's roles and decides, and answers `/ops whoami`."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from engine.actor import Actor
from engine.core.clock import Clock, SystemClock
from engine.policy.config import EVERYONE, PolicyConfig
from engine.policy.decide import Decision, decide
from engine.policy.membership import MembershipCache, roles_of
from engine.ports import UsergroupDirectory


@dataclass(frozen=True)
class WhoAmI:
    """A user's roles and, per known action and environment, what they may do."""

    user_id: str
    name: str
    roles: tuple[str, ...]
    grants: tuple[Decision, ...]


class Policy:
    """Roles and rules from config; every feature asks it before acting."""

    def __init__(self, config: PolicyConfig, directory: UsergroupDirectory | None = None,
                 clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.cache = MembershipCache(directory, self.clock, config.usergroup_cache_seconds)

    async def roles(self, actor: Actor) -> frozenset[str]:
        """Return the roles the actor holds now."""
        return await roles_of(actor, self.config, self.cache)

    async def decide(self, actor: Actor, action: str, env: str) -> Decision:
        """Return the decision for actor doing action in env."""
        return decide(self.config, await self.roles(actor), action, env)

    async def check(self, actor: Actor, action: str, env: str) -> Decision:
        """Return the decision, raising Forbidden (naming the needed role) when denied."""
        return (await self.decide(actor, action, env)).require()

    async def holds_any(self, actor: Actor, roles: tuple[str, ...] | list[str]) -> bool:
        """Return True when the actor holds at least one of the roles."""
        return EVERYONE in roles or bool((await self.roles(actor)).intersection(roles))

    def environments(self, default: str = "production") -> list[str]:
        """Return the environments the rules name explicitly (plus the default)."""
        envs = {r.env for r in self.config.rules if not any(c in r.env for c in "*?[")}
        return sorted(envs | {default})

    async def whoami(self, actor: Actor, actions: list[str], envs: list[str]) -> WhoAmI:
        """Return the actor's roles and the decision for each action and environment."""
        roles = await self.roles(actor)
        known = [a for a in actions if any(fnmatchcase(a, r.action) for r in self.config.rules)]
        grants = tuple(decide(self.config, roles, a, e) for a in known for e in envs)
        return WhoAmI(actor.user_id, actor.name, tuple(sorted(roles)), grants)
