"""Change events from the webhook and the bot's own records, and the candidate neighbourhood."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import aiohttp

from bot.stack import start_local_stack
from engine.approvals.tables import ApprovalRequest
from engine.core.clock import FakeClock
from engine.config import OpsbotConfig
from engine.models.tables import AliasChange
from engine.rca.candidates import neighbourhood
from engine.rca.changes import ChangeLog
from engine.rca.config import RcaConfig
from engine.settings import EngineSettings

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def test_neighbourhood_takes_every_upstream_but_only_near_dependents():
    graph = {"web": ["api"], "api": ["db", "cache"], "db": ["disk"], "batch": ["db"], "report": ["batch"]}
    assert neighbourhood(["api"], graph, hops=1, limit=10) == ["api", "cache", "db", "web", "disk"]
    # Upstreams of a reached dependent come too: a shared sibling (cache) may be the real cause.
    assert set(neighbourhood(["db"], graph, hops=2, limit=10)) == {"db", "disk", "api", "batch", "web", "report",
                                                                  "cache"}
    assert neighbourhood(["api"], graph, hops=1, limit=2) == ["api", "cache"]


async def test_around_reads_webhook_changes_alias_moves_and_runbook_runs(db):
    log = ChangeLog(db, RcaConfig(models={"churn": "churn-api"}), FakeClock(T0))
    body = {"source": "argo", "changes": [
        {"service": "payments", "kind": "deploy", "at": "2026-11-27T11:50:00Z", "description": "v1.2", "id": "d-1"},
        {"service": "db", "kind": "config", "at": "2026-11-27T09:00:00Z"}]}
    first = await log.receive(json.dumps(body).encode())
    again = await log.receive(json.dumps(body).encode())
    assert (first.stored, again.stored) == (2, 0)  # a retried delivery is kept once
    async with db.session() as s:
        s.add(AliasChange(model="churn", alias="champion", from_version=2, to_version=3, kind="promote",
                          state="done", actor_id="U1", actor_name="alice", created_at=T0 - timedelta(minutes=5),
                          confirmed_at=T0 - timedelta(minutes=4)))
        s.add(ApprovalRequest(kind="runbook", title="runbook restart-service", env="production",
                              plan={"parameters": {"service": "checkout"}}, plan_hash="x", requester="U1",
                              channel="ops", state="succeeded", created_at=T0, expires_at=T0, updated_at=T0,
                              started_at=T0 - timedelta(minutes=2)))
    events, meta = await log.around(T0 - timedelta(hours=1), T0)
    by_kind = {e.kind: e for e in events}
    assert set(by_kind) == {"deploy", "model promotion", "runbook run"}  # the 09:00 change is out of the window
    assert by_kind["deploy"].service == "payments" and by_kind["deploy"].description == "v1.2"
    promo = by_kind["model promotion"]
    assert promo.service == "churn-api" and meta[promo] == {"model": "churn", "alias": "champion",
                                                            "from_version": 2, "to_version": 3, "move": "promote"}
    assert by_kind["runbook run"].service == "checkout"


async def test_change_webhook_needs_the_token_and_a_valid_body(tmp_path):
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    stack = await start_local_stack(settings, OpsbotConfig(), webhook_token="s3cret")
    url = f"{stack.bot.url}/webhooks/changes"
    ok = {"source": "ci", "changes": [{"service": "api", "at": "2026-11-27T12:00:00Z", "description": "v9"}]}
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=ok) as r:
                assert r.status == 401
            async with http.post(url, json={"source": "ci", "changes": [{"service": "api"}]},
                                 headers={"Authorization": "Bearer s3cret"}) as r:
                assert r.status == 400 and "changes.0.at" in (await r.json())["message"]
            async with http.post(url, json=ok, auth=aiohttp.BasicAuth("ci", "s3cret")) as r:
                assert r.status == 200 and await r.json() == {"ok": True, "changes": 1, "stored": 1, "duplicate": 0}
            async with http.post(url, json=ok, headers={"Authorization": "Bearer s3cret"}) as r:
                assert (await r.json())["duplicate"] == 1
    finally:
        await stack.stop()


def test_a_leading_model_promotion_offers_the_policy_gated_rollback_and_the_runbook():
    from engine.rca.messages import actions, likely_cause

    item = {"service": "churn-api", "metric": None, "confidence": 0.8, "change": {
        "kind": "model promotion", "service": "churn-api", "description": "churn champion v2 -> v3 by alice",
        "at": "2026-11-27T12:01:00+00:00", "model": "churn", "alias": "champion", "from_version": 2}, "lead_s": 240}
    ids = [b["action_id"] for b in actions(1, item, 7, "restart-service")]
    assert ids == ["rca.confirm", "rca.wrong", "models_rollback", "runbook.open"]
    assert [b["action_id"] for b in actions(2, item, 7, None)] == ["rca.confirm", "rca.wrong"]  # only when it leads
    # The card's stored line names no clock time (read in every zone): how long before the alert.
    assert likely_cause(item).startswith("model promotion on churn-api 4 min before the alert: churn champion")
    metric = {"service": "db", "metric": "saturation", "confidence": 0.72, "direction": "up", "deviation": 8.2,
              "since": "2026-11-27T12:03:00+00:00", "lead_s": 90}
    assert likely_cause(metric) == "db saturation up 8.2σ since 90 s before the alert (72% confidence)"
