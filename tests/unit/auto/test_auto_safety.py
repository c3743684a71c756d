"""Auto-remediation gates: the config check, the plan check and the pure run decision.

The property: whatever the runbook file, policy, trigger mode, switch or alert labels, a runbook
with a step that is neither read-only nor marked reversible never gets a `run` verdict."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import yaml
from hypothesis import given, settings, strategies as st

from engine.auto.breaker import after_outcome, gate, outcome_of
from engine.auto.check import check
from engine.auto.safety import plan_problems, runbook_problems
from engine.auto.spec import TriggerSpec
from engine.auto.triggers import AlertView, could_match, match
from engine.policy import PolicyConfig, decide, decide_auto
from engine.runbooks.loader import parse_runbook
from engine.runbooks.plan import build_targets

SAFE = """
name: restart-api
description: restart the api
parameters: {service: {type: string, pattern: "^[a-z]+$"}}
triggers:
  - {name: api-down, alert: {labels: {alertname: ApiDown}, severity: [critical], for: 2m}, mode: auto}
steps:
  - {name: restart, type: command, argv: [/bin/true, "${service}"], reversible: true}
verify:
  - {name: up, type: promql_check, query: 'up{service="${service}"}', condition: {op: "==", value: 1}}
rollback:
  - {name: undo, type: command, argv: [/bin/true], reversible: true}
"""


def load(text: str):
    rb, problems = parse_runbook(text, "rb.yaml")
    assert rb is not None, problems
    return rb


def test_safe_runbook_passes_and_each_missing_piece_is_named():
    assert runbook_problems(load(SAFE)) == []
    unmarked = load(SAFE.replace(", reversible: true}\nverify", "}\nverify"))
    assert runbook_problems(unmarked) == ["steps step 'restart' (command) is not marked reversible or read_only"]
    no_verify = yaml.safe_load(SAFE)
    no_verify.pop("verify")
    assert "it has no verify step" in runbook_problems(load(yaml.safe_dump(no_verify)))
    no_rollback = yaml.safe_load(SAFE)
    no_rollback.pop("rollback")
    assert runbook_problems(load(yaml.safe_dump(no_rollback))) == [
        "step 'restart' changes something but the runbook has no `rollback:` steps"]


def test_a_silence_cannot_be_marked_read_only():
    rb, problems = parse_runbook(SAFE.replace(
        "{name: restart, type: command, argv: [/bin/true, \"${service}\"], reversible: true}",
        "{name: restart, type: alertmanager_silence, matchers: {a: b}, read_only: true}"), "rb.yaml")
    assert rb is None and any("cannot be `read_only`" in p for p in problems)


def test_config_check_refuses_auto_rule_and_auto_trigger_for_an_unsafe_runbook():
    unsafe = load(SAFE.replace(", reversible: true}\nverify", "}\nverify"))
    policy = PolicyConfig.model_validate({"rules": [{"action": "runbook:*", "env": "*", "effect": "auto"},
                                                    {"action": "model:promote", "effect": "auto"}]})
    problems = check(policy, {"restart-api": unsafe})
    assert any(p.startswith("policy.rules[0]: effect `auto` for runbook 'restart-api' is refused: steps step "
                            "'restart'") for p in problems)
    assert any("policy.rules[1]: effect `auto` is only for runbook actions" in p for p in problems)
    assert any("trigger 'api-down': `mode: auto` is refused" in p for p in problems)
    assert check(policy.model_copy(update={"rules": policy.rules[:1]}), {"restart-api": load(SAFE)}) == []


def test_auto_rules_grant_people_nothing():
    policy = PolicyConfig.model_validate({"rules": [{"action": "runbook:*", "effect": "auto"}]})
    assert decide(policy, frozenset({"sre"}), "runbook:restart-api", "production").effect == "deny"
    assert decide_auto(policy, "runbook:restart-api", "production").effect == "auto"
    deny = PolicyConfig.model_validate({"rules": [{"action": "runbook:*", "effect": "auto"},
                                                  {"action": "runbook:*", "env": "production", "roles": ["*"],
                                                   "effect": "deny"}]})
    assert decide_auto(deny, "runbook:restart-api", "production").reason == "denied_by_rule"
    assert decide_auto(deny, "runbook:restart-api", "staging").effect == "auto"


NOW = datetime(2026, 12, 6, 12, tzinfo=timezone.utc)


def test_trigger_match_names_why_not():
    trig = TriggerSpec.model_validate({"name": "t", "alert": {"labels": {"alertname": "ApiDown", "service": "~api.*"},
                                                              "severity": ["critical"], "for": "2m"}})
    fire = {"alertname": "ApiDown", "service": "api-eu", "severity": "critical"}
    assert match(trig, [], NOW).reason == "nothing_firing"
    assert match(trig, [AlertView({"alertname": "Other"}, True, NOW)], NOW).reason == "labels_differ"
    assert match(trig, [AlertView(fire | {"severity": "warning"}, True, NOW)], NOW).reason == "severity_differs"
    assert match(trig, [AlertView(fire, True, NOW - timedelta(seconds=30))], NOW).reason == "firing_too_briefly"
    ok = match(trig, [AlertView(fire, True, NOW - timedelta(minutes=3))], NOW)
    assert ok.matched and ok.labels == [fire]
    assert could_match(trig, ["ApiDown", "Other"]) and not could_match(trig, ["Other"])
    watch = TriggerSpec.model_validate({"name": "w", "watch": "latency-api"})
    assert could_match(watch, [])
    assert match(watch, [AlertView({"watch": "latency-api"}, True, NOW)], NOW).matched


def test_breaker_counts_consecutive_failed_verifies_and_a_success_resets():
    assert after_outcome(0, "rolled_back", 2) == (1, False)
    assert after_outcome(1, "rolled_back", 2) == (2, True)
    assert after_outcome(1, "succeeded", 2) == (0, False)
    assert after_outcome(1, "halted", 2) == (1, False)
    assert outcome_of("failed", {"phase": "verify", "rollback": "ok"}, "") == "rolled_back"
    assert outcome_of("failed", {"phase": "steps", "halted": True}, "") == "halted"


STEP_TYPES = {
    "command": {"argv": ["/bin/true"]}, "http": {"url": "http://127.0.0.1:1/x"},
    "promql_check": {"query": "up", "condition": {"op": "==", "value": 1}},
    "alertmanager_silence": {"matchers": {"a": "b"}}, "mlflow_alias": {"model": "m", "alias": "a", "version": 1},
    "wait": {"seconds": 1}, "notify": {"message": "hi"},
}
step = st.builds(lambda kind, mark, i: {"name": f"s{i}", "type": kind, **STEP_TYPES[kind],
                                        **({mark: True} if mark else {})},
                 st.sampled_from(sorted(STEP_TYPES)), st.sampled_from([None, "reversible", "read_only"]),
                 st.integers(0, 10**6))


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(step, min_size=1, max_size=4), verify=st.lists(step, max_size=2),
       rollback=st.lists(step, max_size=2), on_failure=st.lists(step, max_size=2),
       mode=st.sampled_from(["auto", "shadow"]), paused=st.booleans(),
       effect=st.sampled_from(["auto", "allow", "approval", "deny"]), recent=st.integers(0, 5))
def test_no_input_runs_a_runbook_with_an_unmarked_changing_step_automatically(
        steps, verify, rollback, on_failure, mode, paused, effect, recent):
    names = iter(range(100))
    for s in [*steps, *verify, *rollback, *on_failure]:
        s["name"] = f"s{next(names)}"
    doc = {"name": "rb", "description": "d", "steps": steps, "verify": verify, "rollback": rollback,
           "on_failure": on_failure, "triggers": [{"name": "t", "alert": {"labels": {"a": "b"}}, "mode": mode}]}
    rb, _ = parse_runbook(yaml.safe_dump(doc), "rb.yaml")
    if rb is None:
        return  # refused at load (e.g. a silence marked read_only): it can never run at all
    targets = asyncio.run(build_targets(rb, {}, None))
    verdict = gate(mode=mode, paused=paused, safety=plan_problems(targets), policy_effect=effect,
                   policy_reason="", recent_runs=recent, max_runs=3)
    unsafe = [s for sec in ("steps", "rollback", "on_failure") for s in getattr(rb, sec)
              if s.type not in ("promql_check", "wait", "notify") and not s.read_only and not s.reversible]
    unsafe += [s for s in rb.verify if s.type not in ("promql_check", "wait", "notify") and not s.read_only]
    if unsafe or not rb.verify:
        assert not verdict.run
        assert runbook_problems(rb) and plan_problems(targets)


def test_a_trigger_offers_its_runbook_on_matching_incidents_like_match_does():
    rb = load(SAFE)
    assert rb.matches({"alertname": "ApiDown", "severity": "critical", "service": "api"})
    assert not rb.matches({"alertname": "ApiDown", "severity": "warning"})
    assert not rb.matches({"alertname": "Other", "severity": "critical"})


def test_the_demo_runbooks_pass_the_auto_config_check(tmp_path):
    from engine.lab.auto.demo import POLICY_RULES, write_auto_runbooks
    from engine.runbooks.loader import load_dirs

    write_auto_runbooks(tmp_path, "/usr/bin/python3", "http://127.0.0.1:1/healthz")
    registry = load_dirs([tmp_path])
    assert registry.errors == [] and sorted(registry.runbooks) == ["flush-cache", "restart-worker"]
    policy = PolicyConfig.model_validate({"roles": {"sre": {}}, "rules": POLICY_RULES})
    assert check(policy, registry.runbooks) == []
    assert [t.mode for lr in registry.runbooks.values() for t in lr.runbook.triggers] == ["shadow", "auto"]
