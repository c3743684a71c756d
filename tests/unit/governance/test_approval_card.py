"""The approval card shows what a person needs, in words: no raw internals, no stale plan label."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from bot.render import render
from engine.approvals.tables import ApprovalRequest
from engine.approvals.view import context
from engine.models.service import gate_table
from engine.models.verdicts import GateResult

AT = datetime(2026, 12, 6, 15, 17, tzinfo=timezone.utc)


def _row(state: str, dry_run: str) -> ApprovalRequest:
    return ApprovalRequest(
        id=7, kind="model_alias", title="Promote churn `champion` to v6 (now v5)", env="production",
        plan={"parameters": {"model": "churn", "alias": "champion", "version": 6, "action": "promote",
                             "override_reason": None, "requester_name": "alice"}},
        plan_hash="ab" * 32, dry_run=dry_run, requester="U0ALICE", requester_name="alice", channel="ml-models",
        required=1, approver_roles=["ml"], state=state, created_at=AT, expires_at=AT, updated_at=AT)


def _gate(expr: str) -> GateResult:
    return GateResult(gate=expr, subject="latency_p95_ms", candidate=41.0, current=40.0, delta=1.0, threshold=81.0,
                      passed=True, reason="within limit")


def test_model_card_lists_people_facts_only_and_whole_gates() -> None:
    expr = "latency_p95_ms <= 2 * champion.latency_p95_ms + 1"
    message = render("approvals/request", context(_row("requested", gate_table([_gate(expr)])), []).as_context())
    shown = json.dumps(message, ensure_ascii=False)
    assert "None" not in shown and "requester_name" not in shown and "Requester" not in shown
    assert "promote`" not in shown  # the verb is in the title, not a parameter
    header = message["blocks"][0]["text"]["text"]
    assert "`" not in header and "champion" in header
    assert expr.replace("<", "&lt;") in shown  # the whole expression, never "champion.lat"
    assert "Plan (dry run)" in shown and "<!date^" in shown and "T15:17" not in shown


def test_finished_card_does_not_call_its_plan_a_dry_run() -> None:
    # A plan ending in a backtick ("is `passed`") used to leave a stray "`" after the fence.
    message = render("approvals/request", context(_row("succeeded", "`champion`: v5 -> v6 ```x```\ntag `passed`"), []).as_context())
    plan = next(b["text"]["text"] for b in message["blocks"] if "Plan" in b.get("text", {}).get("text", ""))
    assert plan.startswith("*Plan*\n```") and plan.endswith("```") and plan.count("`") == 6  # fences only
