"""The runner re-checks the claimed row right before executing: a plan edited after its approval
(with its old hash, a recomputed hash, or a changed env column) is refused, audited and not run.
The engine is built from settings; a counting executor stands in for the `test` action kind."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import col

from engine.approvals import Plan
from engine.approvals import store
from engine.approvals.tables import ApprovalRequest
from engine.approvals.types import APPROVED, REQUESTED, plan_hash

from gov_helpers import ALICE


async def _approved(eng, edit: str | None) -> int:
    plan = Plan(kind="test", title="restart api", env="production", parameters={"svc": "api"},
                targets={"host": "api-1"})
    req = await eng.approvals.request(ALICE, plan, await eng.policy.check(ALICE, "test:restart", "production"), "C")
    frozen = dict(req.plan, targets={"host": "db-1"})
    values = {"plan": frozen} if edit == "plan" else {"plan": frozen, "plan_hash": plan_hash(frozen)} \
        if edit == "plan+hash" else {"env": "staging"} if edit == "env" else {}
    async with eng.db.session() as s:
        # As if approved, then edited by someone with database write access before a runner claimed it.
        await store.cas(s, req.id, REQUESTED, state=APPROVED)
        if values:
            await s.exec(update(ApprovalRequest).where(col(ApprovalRequest.id) == req.id).values(**values))
    return req.id


@pytest.mark.parametrize("edit, why", [("plan", "does not match the hash"),
                                       ("plan+hash", "recorded in the audit log"),
                                       ("env", "kind or environment differs")])
async def test_the_runner_refuses_a_plan_edited_after_approval(counted, edit, why):
    eng, ex = await counted()
    svc, audit = eng.approvals, eng.audit
    request_id = await _approved(eng, edit)
    await svc.runner.run(request_id)
    row, _ = await svc.get(request_id)
    assert row.state == "conflict" and why in row.reason and row.reason.endswith("not executed")
    assert ex.runs == []
    last = (await audit.recent(1, subject=f"approval:{request_id}"))[0]
    assert last.action == "run.conflict" and last.data["result"] == {"refused": "plan_integrity"}
    assert why in last.data["reason"]


async def test_the_runner_runs_an_untouched_plan(counted):
    eng, ex = await counted()
    svc = eng.approvals
    request_id = await _approved(eng, None)
    await svc.runner.run(request_id)
    row, _ = await svc.get(request_id)
    assert row.state == "succeeded" and ex.runs == [request_id]
