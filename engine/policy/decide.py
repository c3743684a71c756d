"""The pure policy decision: which effect a set of roles gets for an action in an environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Literal

from engine.errors import Forbidden
from engine.policy.config import EVERYONE, PolicyConfig, PolicyRule

Effect = Literal["allow", "deny", "approval", "auto"]


@dataclass(frozen=True)
class Decision:
    """What the actor may do, why (a named reason), and what approval or role it would take."""

    effect: Effect
    action: str
    env: str
    reason: str
    roles: tuple[str, ...] = ()
    needed_roles: tuple[str, ...] = ()
    approver_roles: tuple[str, ...] = ()
    approvals: int = 0
    expires_minutes: float = 30.0
    rule: int | None = None
    detail: dict[str, str] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        """Return True when the action may proceed (directly or after approval)."""
        return self.effect != "deny"

    def require(self) -> "Decision":
        """Return self, or raise Forbidden naming the role that would be needed."""
        if self.allowed:
            return self
        if self.reason == "denied_by_rule":
            raise Forbidden(f"`{self.action}` in {self.env} is denied for role "
                            f"{', '.join(self.needed_roles)} by policy rule #{self.rule}",
                            hint="ask an admin if this is wrong")
        if self.needed_roles:
            raise Forbidden(f"`{self.action}` in {self.env} needs role "
                            f"{' or '.join(sorted(self.needed_roles))}",
                            hint="`/ops whoami` shows your roles")
        raise Forbidden(f"no role may `{self.action}` in {self.env}",
                        hint="add a rule under policy.rules in opsbot.yaml")


def _matches(rule: PolicyRule, action: str, env: str) -> bool:
    return fnmatchcase(action, rule.action) and fnmatchcase(env, rule.env)


def _holds(rule: PolicyRule, roles: frozenset[str]) -> list[str]:
    return [r for r in rule.roles if r == EVERYONE or r in roles]


def decide(config: PolicyConfig, roles: frozenset[str], action: str, env: str) -> Decision:
    """Return the decision: explicit deny wins, then allow, then approval; nothing matching denies."""
    held = tuple(sorted(roles))
    # `auto` rules speak for a runbook's triggers only (decide_auto); they grant a person nothing.
    rules = [(i, r) for i, r in enumerate(config.rules) if _matches(r, action, env) and r.effect != "auto"]
    mine = [(i, r) for i, r in rules if _holds(r, roles)]
    for i, r in mine:
        if r.effect == "deny":
            return Decision("deny", action, env, "denied_by_rule", held, tuple(_holds(r, roles)), rule=i)
    for i, r in mine:
        if r.effect == "allow":
            return Decision("allow", action, env, "allowed_by_rule", held, rule=i)
    for i, r in mine:
        if r.effect == "approval" and r.approval:
            a = r.approval
            return Decision("approval", action, env, "approval_required", held,
                            approver_roles=tuple(a.approver_roles), approvals=a.approvals,
                            expires_minutes=a.expires_minutes, rule=i)
    needed = tuple(sorted({role for _, r in rules if r.effect != "deny" for role in r.roles}))
    reason = "missing_role" if needed else "no_rule"
    return Decision("deny", action, env, reason, held, needed)


def decide_auto(config: PolicyConfig, action: str, env: str) -> Decision:
    """Return whether the policy lets `action` in `env` run automatically: a deny for everyone wins."""
    rules = [(i, r) for i, r in enumerate(config.rules) if _matches(r, action, env)]
    for i, r in rules:
        if r.effect == "deny" and EVERYONE in r.roles:
            return Decision("deny", action, env, "denied_by_rule", rule=i)
    for i, r in rules:
        if r.effect == "auto":
            return Decision("auto", action, env, "auto_by_rule", rule=i)
    return Decision("deny", action, env, "no_auto_rule")
