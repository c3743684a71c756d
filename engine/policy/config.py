"""The `policy` section of opsbot.yaml: roles and per-action, per-environment rules."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

EVERYONE = "*"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoleConfig(_Strict):
    """Who holds a role: Slack user ids (U...) and Slack user-group ids (S...)."""

    description: str = ""
    users: list[str] = Field(default_factory=list)
    usergroups: list[str] = Field(default_factory=list)


class ApprovalConfig(_Strict):
    """Approval requirement: N approvals from holders of the approver roles, within the expiry."""

    approver_roles: list[str] = Field(min_length=1)
    approvals: int = Field(default=1, ge=1, le=10)
    expires_minutes: float = Field(default=30, gt=0, le=24 * 60)


class PolicyRule(_Strict):
    """One rule: for actions and environments matching the globs, holders of `roles` get `effect`."""

    action: str = Field(min_length=1, description="glob: runbook:*, model:promote, cmd:whoami")
    env: str = Field(default="*", description="environment glob")
    roles: list[str] = Field(min_length=1, description="role names, or * for everyone")
    effect: Literal["allow", "deny", "approval", "auto"] = Field(
        description="auto: the runbook may run by itself from its triggers (engine/auto), never for a person")
    approval: ApprovalConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _auto_needs_no_roles(cls, data: Any) -> Any:
        # `auto` is granted to the runbook's triggers, not to people: roles default to everyone.
        if isinstance(data, dict) and data.get("effect") == "auto" and "roles" not in data:
            return {**data, "roles": [EVERYONE]}
        return data

    @model_validator(mode="after")
    def _approval_iff_needed(self) -> "PolicyRule":
        if self.effect == "approval" and self.approval is None:
            raise ValueError("effect `approval` needs an `approval:` block (approver_roles, approvals)")
        if self.effect != "approval" and self.approval is not None:
            raise ValueError(f"effect `{self.effect}` takes no `approval:` block")
        return self


class PolicyConfig(_Strict):
    """Roles, rules (evaluated deny > allow > approval; no matching rule means deny)."""

    roles: dict[str, RoleConfig] = Field(default_factory=dict)
    rules: list[PolicyRule] = Field(default_factory=list)
    usergroup_cache_seconds: float = Field(default=300, gt=0)
    default_expires_minutes: float = Field(default=30, gt=0)

    @model_validator(mode="after")
    def _roles_exist(self) -> "PolicyConfig":
        for i, rule in enumerate(self.rules):
            named = list(rule.roles) + (rule.approval.approver_roles if rule.approval else [])
            for role in named:
                if role != EVERYONE and role not in self.roles:
                    raise ValueError(f"rules[{i}] names unknown role {role!r}; define it under policy.roles")
        return self
