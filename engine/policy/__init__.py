"""Roles and policy: who may do which action in which environment, directly or with approval."""

from engine.policy.config import ApprovalConfig, PolicyConfig, PolicyRule, RoleConfig
from engine.policy.decide import Decision, decide, decide_auto
from engine.policy.membership import MembershipCache
from engine.policy.service import Policy, WhoAmI

__all__ = ["ApprovalConfig", "Decision", "MembershipCache", "Policy", "PolicyConfig",
           "PolicyRule", "RoleConfig", "WhoAmI", "decide", "decide_auto"]
