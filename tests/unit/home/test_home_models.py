"""The Home tab's alias moves say where the alias points now when a later move undid one."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlmodel import SQLModel

from bot.home import home_view
from engine.actor import Actor
from engine.alerts.tables import DecisionRow
from engine.approvals.tables import ApprovalRequest, ApprovalVote
from engine.core.clock import FakeClock
from engine.home.service import Home
from engine.models.tables import DONE, AliasChange, SeenAlias
from engine.store.db import Database
from engine.warroom.tables import IncidentChannelRow


async def test_a_promotion_rolled_back_since_says_where_the_alias_is_now(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'home.db'}")
    await db.run_sync(lambda conn: SQLModel.metadata.create_all(conn, tables=[
        AliasChange.__table__, SeenAlias.__table__, ApprovalRequest.__table__, ApprovalVote.__table__,
        DecisionRow.__table__, IncidentChannelRow.__table__]))
    now = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
    async with db.session() as s:
        for frm, to, who, kind in ((1, 2, "U0ALICE", "promote"), (2, 5, "U0ALICE", "promote"),
                                   (5, 2, "U0BOB", "rollback")):
            s.add(AliasChange(model="churn", alias="champion", from_version=frm, to_version=to, kind=kind,
                              state=DONE, actor_id=who, created_at=now - timedelta(minutes=10 - to)))
        s.add(SeenAlias(model="churn", alias="champion", version=2, seen_at=now))
    items = await Home(db, FakeClock(now), policy=None).items(Actor("U0ALICE", "alice"))
    text = json.dumps(home_view(items.__dict__)["blocks"], ensure_ascii=False)
    assert "`@champion` v2 → v5 (promote" in text and "now v2" in text, text
    assert text.count("now v") == 1, text  # v1 -> v2 is where champion is again: nothing to add
