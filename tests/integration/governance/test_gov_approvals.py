"""Approvals: every refusal, N-of-M, expiry, conflicts, cancel, and exactly-once execution, on the
engine built from settings (its policy from opsbot.yaml), a counting executor for the `test` kind."""

from __future__ import annotations

import asyncio

import pytest

from engine.approvals import Plan
from engine.core.clock import FakeClock
from engine.errors import Conflict, Forbidden

from gov_helpers import ALICE, BOB, CAROL, LEAD, VIC


def plan(kind: str = "test", env: str = "production", **params) -> Plan:
    return Plan(kind=kind, title="restart api", env=env, parameters=params or {"svc": "api"},
                targets={"host": "api-1"}, dry_run="would restart api-1")


async def _request(eng, actor=ALICE, action="test:restart", env="production", p=None):
    decision = await eng.policy.check(actor, action, env)
    return await eng.approvals.request(actor, p or plan(env=env), decision, "C_OPS")


async def test_happy_path_runs_once_and_audits(counted):
    eng, ex = await counted()
    svc, audit = eng.approvals, eng.audit
    req = await _request(eng)
    assert req.state == "requested" and req.required == 1
    with pytest.raises(Forbidden, match="you requested"):
        await svc.approve(req.id, ALICE)
    with pytest.raises(Forbidden, match="need role sre or lead"):
        await svc.approve(req.id, VIC)
    row = await svc.approve(req.id, BOB)
    assert row.state == "approved"
    await svc.wait_idle()
    row, votes = await svc.get(req.id)
    assert row.state == "succeeded" and ex.runs == [req.id]
    assert [p["status"] for p in row.progress] == ["ok"] and votes[0].user_id == "U_B"
    actions = [e.action for e in reversed(await audit.recent(50))]
    assert actions == ["approval.requested", "approval.approve_refused", "approval.approve_refused",
                       "approval.vote_approve", "approval.approved", "run.started", "run.step", "run.step",
                       "run.succeeded"]
    assert (await audit.verify()).ok


async def test_n_of_m_needs_two_distinct_approvers(counted):
    eng, ex = await counted()
    svc = eng.approvals
    req = await _request(eng, LEAD, "test:two")
    assert req.required == 2
    assert (await svc.approve(req.id, BOB)).state == "requested"
    with pytest.raises(Conflict, match="already approved"):
        await svc.approve(req.id, BOB)
    assert (await svc.approve(req.id, CAROL)).state == "approved"
    await svc.wait_idle()
    assert ex.runs == [req.id]


async def test_double_click_runs_once(counted):
    eng, ex = await counted()
    svc = eng.approvals
    req = await _request(eng)
    results = await asyncio.gather(*[svc.approve(req.id, BOB) for _ in range(10)], return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))
    await svc.wait_idle()
    assert ex.runs == [req.id]


async def test_expired_request_is_refused(counted):
    clock = FakeClock()
    eng, ex = await counted(clock=clock)
    svc = eng.approvals
    req = await _request(eng)
    clock.advance(minutes=31)
    with pytest.raises(Conflict, match="expired"):
        await svc.approve(req.id, BOB)
    row = (await svc.get(req.id))[0]
    assert row.state == "expired" and "request it again" in row.reason, row.reason
    with pytest.raises(Conflict, match="already expired"):
        await svc.approve(req.id, CAROL)
    assert ex.runs == []


async def test_expiry_job_marks_pending_requests(counted):
    clock = FakeClock()
    eng, _ = await counted(clock=clock)
    svc = eng.approvals
    req = await _request(eng)
    assert await svc.expire_due(clock.now()) == 0
    assert await svc.expire_due(clock.advance(minutes=30)) == 1
    row = (await svc.get(req.id))[0]
    # The card reads "Expired: not approved in time (0 of 1 approval); request it again ...", not "Expired: expired".
    assert row.state == "expired" and row.reason.startswith("not approved in time (0 of 1 approval)"), row.reason


async def test_payload_for_another_plan_is_refused(counted):
    eng, ex = await counted()
    svc = eng.approvals
    req = await _request(eng)
    with pytest.raises(Conflict, match="different plan"):
        await svc.approve(req.id, BOB, digest="deadbeefdeadbeef")
    row = await svc.approve(req.id, BOB, digest=req.plan_hash[:16])
    assert row.state == "approved"
    await svc.wait_idle()


async def test_conflict_at_approval_is_never_executed(counted):
    eng, ex = await counted()
    svc = eng.approvals
    ex.conflicts = ["alias prod moved from v6 to v8"]
    req = await _request(eng)
    with pytest.raises(Conflict, match="stale: alias prod moved"):
        await svc.approve(req.id, BOB)
    row, _ = await svc.get(req.id)
    assert row.state == "conflict" and ex.runs == []


async def test_conflict_at_execution_is_never_executed(counted):
    eng, ex = await counted()
    svc = eng.approvals
    ex.conflicts = [None, "alias prod moved from v6 to v8"]
    req = await _request(eng)
    await svc.approve(req.id, BOB)
    await svc.wait_idle()
    row, _ = await svc.get(req.id)
    assert row.state == "conflict" and "moved" in row.reason and ex.runs == []


async def test_reject_then_approve_is_refused(counted):
    eng, ex = await counted()
    svc = eng.approvals
    req = await _request(eng)
    with pytest.raises(Forbidden, match="cannot reject"):
        await svc.reject(req.id, ALICE)
    assert (await svc.reject(req.id, CAROL)).state == "rejected"
    with pytest.raises(Conflict, match="already rejected"):
        await svc.approve(req.id, BOB)
    assert ex.runs == []
    # `/ops audit` reads as what happened: carol's vote, then the state it led to (once each).
    mine = [e.action for e in reversed(await eng.audit.recent(50)) if e.subject == f"approval:{req.id}"]
    assert mine == ["approval.requested", "approval.reject_refused", "approval.vote_reject", "approval.rejected"], mine


async def test_allow_runs_without_approval(counted):
    eng, ex = await counted()
    svc = eng.approvals
    req = await _request(eng, env="staging")
    assert req.state == "approved"
    await svc.wait_idle()
    assert (await svc.get(req.id))[0].state == "succeeded" and ex.runs == [req.id]


async def test_cancel_pending_and_running(counted):
    eng, ex = await counted()
    svc = eng.approvals
    req = await _request(eng)
    with pytest.raises(Forbidden, match="only the requester"):
        await svc.cancel(req.id, VIC)
    assert (await svc.cancel(req.id, ALICE)).state == "cancelled"
    ex.gate = asyncio.Event()
    req2 = await _request(eng)
    await svc.approve(req2.id, BOB)
    for _ in range(100):
        if (await svc.get(req2.id))[0].state == "running":
            break
        await asyncio.sleep(0.02)
    await svc.cancel(req2.id, ALICE)
    await svc.wait_idle()
    row, _ = await svc.get(req2.id)
    assert row.state == "cancelled" and row.cancel_requested_by == "U_A"


async def test_failed_outcome_is_recorded(counted):
    eng, ex = await counted()
    svc = eng.approvals
    ex.fail = True
    req = await _request(eng, env="staging")
    await svc.wait_idle()
    row, _ = await svc.get(req.id)
    assert row.state == "failed" and row.reason == "failed on purpose"


async def test_lapsed_lease_is_interrupted_and_old_owner_fenced(counted):
    clock = FakeClock()
    # A's heartbeat never fires here: a live heartbeat would (rightly) keep its lease.
    # (a 30 s lease beats every 10 s of real time, longer than this test takes.)
    a_eng, ex = await counted(clock=clock, replica="ra", lease_s=30)
    b_eng, _ = await counted(clock=clock, replica="rb", lease_s=30)
    a, b = a_eng.approvals, b_eng.approvals
    ex.gate = asyncio.Event()
    req = await _request(a_eng, env="staging")
    for _ in range(100):
        if (await a.get(req.id))[0].state == "running":
            break
        await asyncio.sleep(0.02)
    assert await b.recover(clock.now()) == 0
    clock.advance(61)
    assert await b.recover(clock.now()) == 1
    ex.gate.set()
    await a.wait_idle()
    row, _ = await a.get(req.id)
    assert row.state == "interrupted" and "not re-run" in row.reason
    assert ex.runs == [req.id]


async def test_cancel_from_another_replica_reaches_the_runner(counted):
    # A 1.5 s lease beats every 0.5 s: each beat also reads a cancel recorded by another replica.
    a_eng, ex = await counted(replica="ra", lease_s=1.5)
    b_eng, _ = await counted(replica="rb", lease_s=1.5)
    a, b = a_eng.approvals, b_eng.approvals
    ex.gate = asyncio.Event()
    req = await _request(a_eng, env="staging")
    for _ in range(200):
        if (await a.get(req.id))[0].state == "running":
            break
        await asyncio.sleep(0.02)
    with pytest.raises(Forbidden, match="only the requester"):
        await b.cancel(req.id, BOB)  # no approval was needed, so only the requester may stop it
    await b.cancel(req.id, ALICE)
    await asyncio.wait_for(a.wait_idle(), 5)
    row, _ = await a.get(req.id)
    assert row.state == "cancelled" and row.cancel_requested_by == "U_A"
