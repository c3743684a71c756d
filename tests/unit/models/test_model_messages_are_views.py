"""Property: whatever happens to a model, each of its messages' last rendering is its owner's state.

Random sequences of new versions, promotions (allowed and needing approval), approvals,
rejections, rollbacks, aliases moved in the MLflow UI and process restarts. At the end, after
the registry watch has run once as the scheduler would:
- every version card shows the aliases the registry holds now and offers no promotion the
  version already has;
- every approval message shows its request as stored now (state, votes, buttons).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import SQLModel

import engine.store.tables  # noqa: F401 - registers every table before create_all
from engine.adapters.memory_registry import MemoryRegistry
from engine.approvals.tables import ApprovalRequest, ApprovalVote
from engine.approvals.view import context as approval_context
from engine.approvals.view import message_key
from engine.core.clock import FakeClock
from engine.core.outbox_tables import OutboxItem
from engine.errors import OpsError
from engine.models.cards import card_context, version_card_key
from engine.store.db import Database
from tests.integration.models.conftest import ALICE, BETTER, BOB, GOOD, LEAD, PASSED, WORSE, engine_on_twin

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)  # a Friday: no freeze window applies
MODEL = "churn"
ALIASES = ("champion", "challenger")

step = st.one_of(
    st.tuples(st.just("new"), st.sampled_from([GOOD, BETTER, WORSE])),
    st.tuples(st.just("promote"), st.sampled_from([LEAD, ALICE]), st.integers(1, 6), st.sampled_from(ALIASES)),
    st.tuples(st.sampled_from(["approve", "reject"]), st.integers(0, 3)),
    st.tuples(st.just("rollback"), st.sampled_from(ALIASES)),
    st.tuples(st.just("ui_move"), st.integers(1, 6), st.sampled_from(ALIASES)),
    st.tuples(st.just("watch")),
    st.tuples(st.just("restart")),
)


async def _newest(db: Database, key: str, template: str) -> OutboxItem | None:
    async with db.session() as s:
        return (await s.execute(select(OutboxItem).where(OutboxItem.key == key, OutboxItem.template == template)
                                .order_by(OutboxItem.id.desc()).limit(1))).scalars().first()


async def _first(db: Database, key: str, template: str) -> OutboxItem | None:
    async with db.session() as s:
        return (await s.execute(select(OutboxItem).where(OutboxItem.key == key, OutboxItem.template == template)
                                .order_by(OutboxItem.id).limit(1))).scalars().first()


async def _play(steps: list[tuple], folder: Path) -> None:
    clock = FakeClock(T0)
    db = Database(f"sqlite:///{folder / 'opsbot.db'}")
    await db.run_sync(SQLModel.metadata.create_all)
    reg = MemoryRegistry()
    reg.create_version(MODEL, GOOD, PASSED)
    eng = engine_on_twin(db.url, reg, folder, clock)
    svc, approvals = eng.models, eng.approvals
    assert svc is not None
    await svc.watch_job(clock.now())  # the first cycle learns the registry
    try:
        for kind, *args in steps:
            clock.advance(30)
            try:
                if kind == "new":
                    reg.create_version(MODEL, args[0], PASSED)
                    await svc.watch_job(clock.now())
                elif kind == "promote":
                    actor, version, alias = args
                    await svc.promote(actor, MODEL, version, alias)
                elif kind in ("approve", "reject"):
                    pending = [r for r in await approvals.recent(50) if r.state == "requested"]
                    if pending:
                        target = pending[args[0] % len(pending)].id
                        await (approvals.approve if kind == "approve" else approvals.reject)(target, BOB)
                elif kind == "rollback":
                    await svc.rollback(BOB, MODEL, args[0])
                elif kind == "ui_move":
                    version, alias = args
                    if version <= len(await reg.list_versions(MODEL)):
                        await reg.set_alias(MODEL, alias, version)  # someone uses the MLflow UI
                elif kind == "watch":
                    await svc.watch_job(clock.now())
                elif kind == "restart":
                    await approvals.wait_idle()
                    await eng.close()
                    eng = engine_on_twin(db.url, reg, folder, clock)  # a new process: only the database remembers
                    svc, approvals = eng.models, eng.approvals
                    assert svc is not None
            except OpsError:
                pass  # refused (gate, conflict, nothing to roll back...): a refusal changes nothing
            await approvals.wait_idle()
        await svc.watch_job(clock.now())  # the scheduler's next cycle
        await approvals.wait_idle()
        aliases = (await reg.get_model(MODEL)).aliases
        for mv in await reg.list_versions(MODEL):
            key = version_card_key(MODEL, mv.version)
            first, last = await _first(db, key, "models/new_version"), await _newest(db, key, "models/new_version")
            if first is None:
                continue  # announced before Opsbot watched, or never: no card to keep true
            want = json.loads(json.dumps(card_context(first.context, aliases), default=str))
            assert last is not None, f"v{mv.version} has no card"
            got = {"holds": [], **last.context}  # a card never re-rendered holds nothing
            assert got == want, f"card of v{mv.version} is stale after {steps}"
        async with db.session() as s:  # read, then close: every SQLite session holds the writer lock
            rows = (await s.execute(select(ApprovalRequest))).scalars().all()
            votes = {r.id: (await s.execute(select(ApprovalVote).where(ApprovalVote.request_id == r.id)
                                            .order_by(ApprovalVote.id))).scalars().all() for r in rows}
        for row in rows:
            card = await _newest(db, message_key(row.id or 0), "approvals/request")
            assert card is not None, f"approval #{row.id} has no message"
            want = approval_context(row, list(votes[row.id])).as_context()
            assert card.context == want, f"approval #{row.id} message is stale after {steps}"
    finally:
        await eng.close()
        await db.dispose()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=12))
def test_every_model_message_shows_its_owner_as_it_is_now(steps):
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_play(steps, Path(folder)))
