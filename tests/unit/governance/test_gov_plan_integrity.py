"""A stored plan must hash to its recorded hash; a button must carry the hash it was drawn with."""

from __future__ import annotations

import copy

import pytest

from engine.approvals.integrity import plan_mismatch
from engine.approvals.tables import ApprovalRequest
from engine.approvals.types import Plan
from engine.approvals.view import parse_button_value
from engine.errors import InvalidInput

PLAN = Plan(kind="runbook", title="runbook r", env="production", parameters={"svc": "api"},
            targets={"steps": [{"name": "c", "type": "command", "argv": ["echo", "api"]}]})


def _row(**over) -> ApprovalRequest:
    fields = dict(id=1, kind=PLAN.kind, title=PLAN.title, env=PLAN.env, plan=PLAN.frozen(),
                  plan_hash=PLAN.digest(), requester="U1", channel="C", state="requested")
    return ApprovalRequest(**(fields | over))


def test_an_untouched_row_passes():
    assert plan_mismatch(_row()) is None


@pytest.mark.parametrize("edit", ["argv", "parameters", "kind_column", "env_column", "env_in_plan"])
def test_any_edit_keeping_the_old_hash_is_caught(edit):
    plan = copy.deepcopy(PLAN.frozen())
    over = {}
    if edit == "argv":
        plan["targets"]["steps"][0]["argv"] = ["rm", "-rf", "/"]
    elif edit == "parameters":
        plan["parameters"]["svc"] = "db"
    elif edit == "kind_column":
        over["kind"] = "model_alias"
    elif edit == "env_column":
        over["env"] = "staging"
    else:
        plan["env"] = "staging"
    assert "edited" in (plan_mismatch(_row(plan=plan, **over)) or "")


@pytest.mark.parametrize("value", ["12", "12:", "abc", "12:xyz", "12:abc", ":" + "a" * 16, "1:2:3",
                                   "12:" + "A" * 16, " 12:" + "a" * 16, None, 12, "9" * 19 + ":" + "a" * 16])
def test_a_button_value_without_a_well_formed_hash_is_refused(value):
    with pytest.raises(InvalidInput, match="plan hash"):
        parse_button_value(value)


def test_a_well_formed_button_value_parses():
    assert parse_button_value("42:" + "0f" * 8) == (42, "0f" * 8)
