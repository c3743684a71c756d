"""The registry watch and the alias-move protocol: outside moves, new/failed versions, crashes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.render import render
from engine.core.clock import SystemClock
from engine.errors import Unavailable
from engine.models.messages import PROMOTE_CHALLENGER, PROMOTE_CHAMPION
from engine.models.mover import MoveRequest
from engine.models.tables import AliasChange, OUTSIDE_ACTOR
from engine.adapters.memory_registry import MemoryRegistry
from tests.integration.models.conftest import ALICE, BETTER, GOOD, PASSED, notices, seed


async def test_first_cycle_learns_silently_then_reports_news(world) -> None:
    svc, _, reg, db = world
    now = SystemClock().now()
    first = await svc.watch_job(now)
    assert first.models == 2 and first.new_versions == 0 and await notices(db) == []
    quiet = await svc.watch_job(now)
    assert quiet.listed == 0 and quiet.outside_moves == 0  # nothing changed: no version listing
    await reg.set_alias("churn", "champion", 1)
    reg.create_version("churn", BETTER, PASSED)
    report = await svc.watch_job(now)
    assert report.outside_moves == 1 and report.new_versions == 1
    moved = (await notices(db, "models/alias_moved_outside"))[0]
    assert moved.context["actor"] == OUTSIDE_ACTOR and moved.context["to_version"] == 1
    new = (await notices(db, "models/new_version"))[0]
    assert new.channel == "ml-models" and new.context["version"] == 4 and new.context["champion_version"] == 1
    auc = next(r for r in new.context["metrics"] if r["metric"] == "auc")
    assert auc["candidate"] == 0.92 and auc["champion"] == 0.90 and auc["delta"] == pytest.approx(0.02)
    assert [b["action_id"] for b in new.context["buttons"]] == [PROMOTE_CHALLENGER, PROMOTE_CHAMPION]
    rendered = render(new.template, new.context)["blocks"][-1]["elements"]
    assert [b["text"]["text"] for b in rendered] == ["Promote to challenger", "Promote to champion"]
    hist = await svc.history(ALICE, "churn")
    assert hist[0]["kind"] == "outside" and hist[0]["actor_name"] == OUTSIDE_ACTOR
    assert (await svc.watch_job(now)).outside_moves == 0  # reported once


async def test_pending_then_failed_or_ready_versions(world) -> None:
    svc, _, reg, db = world
    now = SystemClock().now()
    await svc.watch_job(now)
    reg.create_version("churn", GOOD, status="PENDING_REGISTRATION")
    reg.create_version("churn", GOOD, status="PENDING_REGISTRATION")
    assert (await svc.watch_job(now)).new_versions == 0
    reg.set_status("churn", 4, "READY")
    reg.set_status("churn", 5, "FAILED_REGISTRATION", "artifact upload failed")
    report = await svc.watch_job(now)
    assert (report.new_versions, report.failed_versions) == (1, 1)
    failed = (await notices(db, "models/registration_failed"))[0]
    assert failed.context["version"] == 5 and "upload" in failed.context["message"]
    assert (await svc.watch_job(now)).listed == 0


async def test_new_model_after_start_is_announced(world) -> None:
    svc, _, reg, db = world
    now = SystemClock().now()
    await svc.watch_job(now)
    reg.create_version("fraud", GOOD, PASSED)
    assert (await svc.watch_job(now)).new_versions == 1


async def test_bot_moves_are_not_reported_as_outside(world) -> None:
    svc, approvals, reg, db = world
    now = SystemClock().now()
    await svc.watch_job(now)
    await svc.promote(ALICE, "staging-churn", 2)
    await approvals.wait_idle()
    assert (await svc.watch_job(now)).outside_moves == 0


class LosesReplies(MemoryRegistry):
    """A registry whose set_alias lands but whose reply is lost (a timeout after the write)."""

    async def set_alias(self, name: str, alias: str, version: int) -> None:
        await super().set_alias(name, alias, version)
        raise Unavailable(f"MLflow at {self.uri} did not answer within 10s")


class Refuses(MemoryRegistry):
    """A registry that refuses every alias write."""

    async def set_alias(self, name: str, alias: str, version: int) -> None:
        raise Unavailable(f"MLflow at {self.uri} is not reachable")


async def _rows(db) -> list[AliasChange]:
    async with db.session() as s:
        return list((await s.exec(select(AliasChange).order_by(AliasChange.id))).all())


async def test_lost_reply_after_landing_is_recorded_done(db, build) -> None:
    reg = LosesReplies()
    seed(reg, "m")
    svc, approvals, _ = await build(db, reg)
    change = await svc.mover.move(MoveRequest("m", "champion", 2, None, "promote", "U_A"))
    assert change.state == "done" and (await reg.get_model("m")).aliases == {"champion": 2}
    await approvals.aclose()


async def test_refused_move_is_recorded_failed_and_alias_untouched(db, build) -> None:
    reg = Refuses()
    seed(reg, "m")
    svc, approvals, _ = await build(db, reg)
    with pytest.raises(Unavailable):
        await svc.mover.move(MoveRequest("m", "champion", 2, None, "promote", "U_A"))
    assert [(r.state, r.to_version) for r in await _rows(db)] == [("failed", 2)]
    assert (await reg.get_model("m")).aliases == {}
    await approvals.aclose()


async def test_crash_between_move_and_confirm_is_settled_by_the_watch(db, build) -> None:
    reg = MemoryRegistry()
    seed(reg, "m")
    svc, approvals, _ = await build(db, reg)
    now = SystemClock().now()
    await svc.watch_job(now)
    # Reproduce a process killed after the MLflow call: intent recorded, alias moved, no confirm.
    async with db.session() as s:
        s.add(AliasChange(model="m", alias="champion", to_version=2, kind="promote", state="intent",
                          actor_id="U_A", created_at=now))
        s.add(AliasChange(model="m", alias="challenger", to_version=3, kind="promote", state="intent",
                          actor_id="U_A", created_at=now))  # this one never reached MLflow
    await reg.set_alias("m", "champion", 2)
    early = await svc.watch_job(now)
    assert early.outside_moves == 0 and early.settled_intents == 0  # still within the grace period
    later = await svc.watch_job(now + timedelta(minutes=5))
    assert later.settled_intents == 2 and later.outside_moves == 0
    assert [(r.alias, r.state) for r in await _rows(db)] == [("champion", "done"), ("challenger", "failed")]
    await approvals.aclose()


async def test_signed_webhook_wakes_the_watch_and_bad_one_is_refused(db, build) -> None:
    import json

    from engine.errors import Forbidden
    from engine.models.webhooks import sign
    from tests.integration.models.conftest import CONFIG

    reg = MemoryRegistry()
    seed(reg, "m")
    config = type(CONFIG).model_validate({**CONFIG.model_dump(), "webhook_secret": "hook-secret"})
    svc, approvals, _ = await build(db, reg, config=config)
    await svc.watch_job(SystemClock().now())
    reg.create_version("m", GOOD, PASSED)
    body = json.dumps({"entity": "model_version", "action": "created", "data": {"name": "m", "version": "4"}})
    ts = str(int(SystemClock().now().timestamp()))
    good = {"X-MLflow-Signature": sign("hook-secret", "d1", ts, body), "X-MLflow-Timestamp": ts,
            "X-MLflow-Delivery-Id": "d1"}
    with pytest.raises(Forbidden):
        await svc.on_webhook({**good, "X-MLflow-Signature": sign("guess", "d1", ts, body)}, body.encode())
    woken: list[bool] = []

    async def wake() -> None:
        woken.append(True)

    svc.wake = wake
    assert await svc.on_webhook(good, body.encode()) is True
    assert woken == [True]  # the webhook only wakes the leased job, it does not look itself
    assert (await svc.watch_job(SystemClock().now())).new_versions == 1
    await approvals.aclose()


async def test_runbook_alias_moves_are_recorded_not_outside(world) -> None:
    from engine.models.runbook_bridge import RecordedAliases

    svc, _, reg, _ = world
    await svc.watch_job(SystemClock().now())
    port = RecordedAliases(reg, svc.mover)
    await port.set_alias_version("churn", "champion", "2")
    assert await port.get_alias_version("churn", "champion") == "2"
    assert (await svc.watch_job(SystemClock().now())).outside_moves == 0
    assert (await svc.history(ALICE, "churn"))[0]["kind"] == "runbook"
