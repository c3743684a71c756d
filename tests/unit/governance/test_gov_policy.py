"""Policy: role resolution (users, user groups, cache expiry) and rule decisions."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from engine.actor import Actor
from engine.adapters.memory_directory import MemoryUsergroups
from engine.core.clock import FakeClock
from engine.errors import Forbidden, Unavailable
from engine.policy import Policy, PolicyConfig, decide

CONFIG = {
    "roles": {
        "ml-team": {"usergroups": ["S_ML"]},
        "sre": {"users": ["U_SRE1", "U_SRE2"]},
        "sre-lead": {"users": ["U_LEAD"]},
        "intern": {"users": ["U_INT"]},
    },
    "rules": [
        {"action": "cmd:*", "roles": ["*"], "effect": "allow"},
        {"action": "runbook:*", "env": "staging", "roles": ["ml-team", "sre"], "effect": "allow"},
        {"action": "runbook:*", "env": "production", "roles": ["sre"], "effect": "approval",
         "approval": {"approver_roles": ["sre", "sre-lead"], "approvals": 2}},
        {"action": "runbook:*", "env": "production", "roles": ["sre-lead"], "effect": "allow"},
        {"action": "runbook:drop-*", "roles": ["intern"], "effect": "deny"},
        {"action": "runbook:*", "roles": ["intern"], "effect": "allow"},
    ],
}


def cfg() -> PolicyConfig:
    return PolicyConfig.model_validate(CONFIG)


def test_deny_wins_and_names_rule():
    d = decide(cfg(), frozenset({"intern"}), "runbook:drop-table", "staging")
    assert d.effect == "deny" and d.reason == "denied_by_rule"
    with pytest.raises(Forbidden, match="denied for role intern"):
        d.require()


def test_allow_beats_approval_for_lead():
    assert decide(cfg(), frozenset({"sre", "sre-lead"}), "runbook:x", "production").effect == "allow"


def test_approval_carries_approvers_and_count():
    d = decide(cfg(), frozenset({"sre"}), "runbook:restart", "production")
    assert d.effect == "approval" and d.approvals == 2
    assert d.approver_roles == ("sre", "sre-lead") and d.expires_minutes == 30


def test_missing_role_names_needed_roles():
    d = decide(cfg(), frozenset({"ml-team"}), "runbook:restart", "production")
    assert d.effect == "deny" and d.reason == "missing_role"
    with pytest.raises(Forbidden, match="needs role intern or sre or sre-lead"):
        d.require()


def test_no_rule_denies():
    d = decide(cfg(), frozenset({"sre"}), "model:promote", "production")
    assert d.reason == "no_rule"
    with pytest.raises(Forbidden, match="no role may"):
        d.require()


def test_unknown_role_in_rule_is_a_config_error():
    bad = {"roles": {}, "rules": [{"action": "x", "roles": ["ghost"], "effect": "allow"}]}
    with pytest.raises(ValidationError, match="unknown role 'ghost'"):
        PolicyConfig.model_validate(bad)


def test_approval_effect_needs_block():
    bad = {"roles": {"a": {}}, "rules": [{"action": "x", "roles": ["a"], "effect": "approval"}]}
    with pytest.raises(ValidationError, match="needs an `approval:` block"):
        PolicyConfig.model_validate(bad)


async def test_usergroup_membership_is_cached_until_expiry():
    clock = FakeClock()
    directory = MemoryUsergroups({"S_ML": ["U_ML1"]})
    policy = Policy(cfg(), directory, clock)
    assert await policy.roles(Actor("U_ML1")) == {"ml-team"}
    assert await policy.roles(Actor("U_ML1")) == {"ml-team"}
    assert directory.calls == 1
    directory.members["S_ML"] = []
    clock.advance(301)
    assert await policy.roles(Actor("U_ML1")) == frozenset()
    assert directory.calls == 2


async def test_slack_failure_uses_stale_copy_then_refuses():
    clock = FakeClock()
    directory = MemoryUsergroups({"S_ML": ["U_ML1"]})
    policy = Policy(cfg(), directory, clock)
    await policy.roles(Actor("U_ML1"))
    directory.available = False
    clock.advance(400)
    assert await policy.roles(Actor("U_ML1")) == {"ml-team"}
    clock.advance(400)
    with pytest.raises(Unavailable):
        await policy.roles(Actor("U_ML1"))


async def test_actor_groups_count_without_lookup():
    directory = MemoryUsergroups({"S_ML": []})
    policy = Policy(cfg(), directory, FakeClock())
    assert await policy.roles(Actor("U9", groups=frozenset({"S_ML"}))) == {"ml-team"}
    assert directory.calls == 0


async def test_whoami_lists_roles_and_grants():
    policy = Policy(cfg(), MemoryUsergroups({"S_ML": []}), FakeClock())
    me = await policy.whoami(Actor("U_SRE1", "sam"), ["cmd:whoami", "runbook:restart", "model:promote"],
                             policy.environments())
    assert me.roles == ("sre",)
    effects = {(g.action, g.env): g.effect for g in me.grants}
    assert effects[("runbook:restart", "production")] == "approval"
    assert effects[("runbook:restart", "staging")] == "allow"
    assert all(g.action != "model:promote" for g in me.grants)
