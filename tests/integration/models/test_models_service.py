"""Promote and roll back through gates, policy and approvals, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlmodel import select

from engine.adapters.memory_registry import MemoryRegistry
from engine.audit.tables import AuditEvent
from engine.core.clock import FakeClock
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.integration.models.conftest import ALICE, BETTER, BOB, LEAD, VIC, seed


async def aliases(reg, name):
    return (await reg.get_model(name)).aliases


async def test_allowed_promotion_moves_alias_records_history_and_tags(world) -> None:
    svc, approvals, reg, db = world
    res = await svc.promote(ALICE, "staging-churn", 1)
    assert res.status == "approved" and res.gates_passed and res.from_version is None
    await approvals.wait_idle()
    assert await aliases(reg, "staging-churn") == {"champion": 1}
    res = await svc.promote(ALICE, "staging-churn", 2)
    await approvals.wait_idle()
    assert await aliases(reg, "staging-churn") == {"champion": 2}
    hist = await svc.history(ALICE, "staging-churn")
    assert [(h["from_version"], h["to_version"], h["state"], h["actor_id"]) for h in hist] == \
        [(1, 2, "done", "U_A"), (None, 1, "done", "U_A")]
    assert {g["subject"] for g in hist[0]["gates"]} == {"auc", "latency_p95_ms", "validation_status"}
    tags = (await reg.get_version("staging-churn", 2)).tags
    assert tags["opsbot.promoted_by"] == "alice" and tags["opsbot.previous_champion"] == "1"
    async with db.session() as s:
        actions = [e.action for e in (await s.exec(select(AuditEvent))).all()]
    assert "model.promote" in actions and "approval.requested" in actions


async def test_failing_gate_blocks_without_a_request(world) -> None:
    svc, approvals, reg, _ = world
    await svc.promote(ALICE, "staging-churn", 2)
    await approvals.wait_idle()
    res = await svc.promote(ALICE, "staging-churn", 3)
    assert res.status == "blocked" and res.request_id is None
    auc = next(g for g in res.gates if g.subject == "auc")
    assert not auc.passed and auc.candidate == 0.85 and auc.current == 0.92 and auc.delta == pytest.approx(-0.07)
    assert await aliases(reg, "staging-churn") == {"champion": 2}


async def test_override_needs_the_role_and_is_recorded(world) -> None:
    svc, approvals, reg, db = world
    await svc.promote(ALICE, "staging-churn", 2)
    await approvals.wait_idle()
    with pytest.raises(Forbidden) as err:
        await svc.promote(ALICE, "staging-churn", 3, override_reason="hotfix for a data bug")
    assert "lead" in err.value.message
    res = await svc.promote(LEAD, "staging-churn", 3, override_reason="hotfix for a data bug")
    await approvals.wait_idle()
    assert res.override_reason == "hotfix for a data bug"
    assert await aliases(reg, "staging-churn") == {"champion": 3}
    latest = (await svc.history(LEAD, "staging-churn"))[0]
    assert latest["override_reason"] == "hotfix for a data bug" and latest["actor_id"] == "U_L"
    async with db.session() as s:
        assert (await s.exec(select(AuditEvent).where(AuditEvent.action == "model.gates_overridden"))).first()


async def test_production_promotion_needs_a_second_person(world) -> None:
    svc, approvals, reg, _ = world
    res = await svc.promote(ALICE, "churn", 2)
    assert res.status == "requested" and res.approvers == ("ml", "lead")
    with pytest.raises(Forbidden):
        await approvals.approve(res.request_id, ALICE)
    with pytest.raises(Forbidden):
        await approvals.approve(res.request_id, VIC)
    assert await aliases(reg, "churn") == {}
    await approvals.approve(res.request_id, BOB)
    await approvals.wait_idle()
    assert await aliases(reg, "churn") == {"champion": 2}
    change = (await svc.history(BOB, "churn"))[0]
    assert change["approval_id"] == res.request_id and [a["user"] for a in change["approvals"]] == ["U_B"]


async def test_alias_moved_before_approval_is_a_conflict(world) -> None:
    svc, approvals, reg, _ = world
    res = await svc.promote(ALICE, "churn", 2)
    await reg.set_alias("churn", "champion", 1)  # someone moves it in the MLflow UI meanwhile
    with pytest.raises(Conflict) as err:
        await approvals.approve(res.request_id, BOB)
    assert "moved" in err.value.message
    await approvals.wait_idle()
    assert await aliases(reg, "churn") == {"champion": 1}
    row, _ = await approvals.get(res.request_id)
    assert row.state == "conflict"


async def test_rollback_walks_back_through_history(world) -> None:
    svc, approvals, reg, _ = world
    for v in (1, 2):
        await svc.promote(ALICE, "staging-churn", v)
        await approvals.wait_idle()
    await svc.promote(LEAD, "staging-churn", 3, override_reason="testing rollback")
    await approvals.wait_idle()
    res = await svc.rollback(BOB, "staging-churn")
    assert (res.from_version, res.version) == (3, 2)
    await approvals.wait_idle()
    assert await aliases(reg, "staging-churn") == {"champion": 2}
    await svc.rollback(BOB, "staging-churn")
    await approvals.wait_idle()
    assert await aliases(reg, "staging-churn") == {"champion": 1}
    with pytest.raises(Conflict) as err:
        await svc.rollback(BOB, "staging-churn")
    assert "no earlier holder" in err.value.message
    assert (await reg.get_version("staging-churn", 1)).tags["opsbot.rolled_back_by"] == "bob"


async def test_rollback_survives_a_restart(world, build) -> None:
    svc, approvals, reg, db = world
    for v in (1, 2):
        await svc.promote(ALICE, "staging-churn", v)
        await approvals.wait_idle()
    await approvals.aclose()
    svc2, approvals2, _ = await build(db, reg)  # a new process: only the database remembers
    await svc2.rollback(ALICE, "staging-churn")
    await approvals2.wait_idle()
    assert await aliases(reg, "staging-churn") == {"champion": 1}
    await approvals2.aclose()


async def test_denied_and_unknown_inputs(world) -> None:
    svc, _, _, _ = world
    with pytest.raises(Forbidden) as err:
        await svc.promote(VIC, "churn", 2)
    assert "ml" in err.value.message
    with pytest.raises(NotFound) as err:
        await svc.promote(ALICE, "chrun", 2)
    assert "churn" in (err.value.hint or "")
    with pytest.raises(NotFound) as err:
        await svc.promote(ALICE, "churn", 9)
    assert "3" in (err.value.hint or "")


async def test_pending_version_cannot_be_promoted(world) -> None:
    svc, _, reg, _ = world
    reg.create_version("staging-churn", BETTER, {}, status="PENDING_REGISTRATION")
    with pytest.raises(Conflict) as err:
        await svc.promote(ALICE, "staging-churn", 4)
    assert "PENDING_REGISTRATION" in err.value.message


async def test_freeze_window_blocks_promotion(db, build) -> None:
    reg = MemoryRegistry()
    seed(reg, "frozen")
    saturday = FakeClock(datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc))
    svc, approvals, _ = await build(db, reg, clock=saturday)
    res = await svc.promote(LEAD, "frozen", 1)
    assert res.status == "blocked" and "freeze" in res.gates[-1].reason
    saturday.set(datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc))
    assert (await svc.promote(LEAD, "frozen", 1)).status == "approved"
    await approvals.wait_idle()
    await approvals.aclose()


async def test_show_and_list(world) -> None:
    svc, approvals, _, _ = world
    await svc.promote(ALICE, "staging-churn", 2)
    await approvals.wait_idle()
    detail = await svc.show(ALICE, "staging-churn")
    assert [v.version for v in detail.versions] == [3, 2, 1]
    assert detail.versions[1].aliases == ("champion",) and detail.versions[1].metrics["auc"] == 0.92
    assert detail.changes[0]["to_version"] == 2
    rows = {r.name: r for r in await svc.list_models(ALICE)}
    assert rows["staging-churn"].last_change["actor_name"] == "alice" and rows["churn"].last_change is None


async def test_a_typo_alias_is_refused_with_the_nearest_one(world) -> None:
    svc, approvals, reg, db = world
    with pytest.raises(InvalidInput) as err:
        await svc.promote(ALICE, "staging-churn", 1, "champoin")
    assert "`champoin` is not an alias of staging-churn" in err.value.message
    assert "did you mean `champion`?" in err.value.hint and "new-alias champoin" in err.value.hint
    assert await aliases(reg, "staging-churn") == {}
    async with db.session() as s:  # nothing was requested, so nothing can be approved later
        assert not (await s.exec(select(AuditEvent).where(AuditEvent.action == "approval.requested"))).first()


async def test_a_new_alias_needs_saying_so_and_the_policy(world) -> None:
    svc, approvals, reg, _ = world
    with pytest.raises(Forbidden):  # the policy has no model:create_alias rule for alice
        await svc.promote(ALICE, "staging-churn", 1, "shadow", new_alias=True)
    with pytest.raises(InvalidInput, match="not new"):
        await svc.promote(LEAD, "staging-churn", 1, "champion", new_alias=True)


async def test_a_new_alias_the_policy_allows_is_created(db, build) -> None:
    from tests.integration.models.conftest import POLICY

    reg = MemoryRegistry()
    seed(reg, "staging-churn")
    rules = POLICY.model_dump()
    rules["rules"].append({"action": "model:create_alias", "env": "*", "roles": ["ml"], "effect": "allow"})
    svc, approvals, _ = await build(db, reg, policy=rules)
    try:
        res = await svc.promote(ALICE, "staging-churn", 2, "shadow", new_alias=True)
        await approvals.wait_idle()
        assert res.status == "approved" and await aliases(reg, "staging-churn") == {"shadow": 2}
        await svc.promote(ALICE, "staging-churn", 1, "shadow")  # known from now on: no new-alias needed
        await approvals.wait_idle()
        assert await aliases(reg, "staging-churn") == {"shadow": 1}
    finally:
        await approvals.aclose()


async def _request_row(approvals, request_id):
    row, _ = await approvals.get(request_id)
    return row


async def test_a_pending_request_the_alias_moved_past_is_superseded_and_its_card_says_so(world) -> None:
    from tests.integration.models.conftest import notices

    svc, approvals, reg, db = world
    stale = await svc.promote(ALICE, "churn", 2)
    other = await svc.promote(ALICE, "churn", 3)
    assert stale.status == other.status == "requested"
    await approvals.approve(other.request_id, BOB)
    await approvals.wait_idle()
    assert await aliases(reg, "churn") == {"champion": 3}
    row = await _request_row(approvals, stale.request_id)
    assert row.state == "cancelled" and row.reason.startswith("superseded: `champion` moved to v3"), row.reason
    card = [n for n in await notices(db, "approvals/request") if n.key.endswith(f":{stale.request_id}")][-1]
    assert card.context["state"] == "cancelled" and "superseded" in card.context["reason"]
    with pytest.raises(Conflict):
        await approvals.approve(stale.request_id, BOB)  # nothing left to approve
    # A move made outside Opsbot (the MLflow UI) supersedes the same way, once the watch sees it.
    await svc.watch_job(datetime.now(timezone.utc))
    again = await svc.promote(ALICE, "churn", 2)
    await reg.set_alias("churn", "champion", 1)
    await svc.watch_job(datetime.now(timezone.utc))
    row = await _request_row(approvals, again.request_id)
    assert row.state == "cancelled" and row.reason.startswith("superseded: `champion` moved to v1"), row.reason


async def test_a_succeeded_request_card_says_what_replaced_its_version(world) -> None:
    """After v1 -> v2 and a rollback, no request card still reads as if its version held the alias."""
    from tests.integration.models.conftest import notices

    svc, approvals, reg, db = world
    first = await svc.promote(ALICE, "churn", 1)
    await approvals.approve(first.request_id, BOB)
    await approvals.wait_idle()
    second = await svc.promote(ALICE, "churn", 2)
    await approvals.approve(second.request_id, BOB)
    await approvals.wait_idle()

    def card(request_id, cards):
        return [n for n in cards if n.key == f"approval:{request_id}"][-1].context

    cards = await notices(db, "approvals/request")
    assert card(second.request_id, cards)["reason"] == "moved churn `champion` from v1 to v2"
    later = card(first.request_id, cards)["result"]["later"]
    assert later["text"] == f"`champion` moved to v2 (promote by alice, request #{second.request_id})", later
    assert "later" not in card(second.request_id, cards)["result"]  # v2 still holds champion

    back = await svc.rollback(BOB, "churn")
    await approvals.wait_idle()
    assert await aliases(reg, "churn") == {"champion": 1}
    cards = await notices(db, "approvals/request")
    later = card(second.request_id, cards)["result"]["later"]
    assert later["text"] == f"`champion` moved to v1 (rollback by bob, request #{back.request_id})", later
    # The first card's note stays true (v1 was replaced by v2 once): it is not rewritten.
    assert card(first.request_id, cards)["result"]["later"]["text"].startswith("`champion` moved to v2")
    # A move made in the MLflow UI marks the rollback's card, naming no Opsbot actor.
    await svc.watch_job(datetime.now(timezone.utc))
    await reg.set_alias("churn", "champion", 3)
    await svc.watch_job(datetime.now(timezone.utc))
    later = card(back.request_id, await notices(db, "approvals/request"))["result"]["later"]
    assert later["text"] == "`champion` moved to v3 (outside Opsbot)", later
    # That outside move's notice offers "Roll back to v1" until the alias moves on; then it says what
    # happened instead of offering to undo a move that is no longer current.
    outside = [n for n in await notices(db, "models/alias_moved_outside")]
    assert outside[-1].context["buttons"] and not outside[-1].context["later"]
    again = await svc.rollback(BOB, "churn")
    await approvals.wait_idle()
    notice = [n for n in await notices(db, "models/alias_moved_outside") if n.key == outside[-1].key][-1]
    assert notice.context["buttons"] == [], notice.context
    assert notice.context["later"] == f"`champion` moved to v1 (rollback by bob, request #{again.request_id})"
