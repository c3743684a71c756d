"""The drift service on SQLite and PostgreSQL: history, scheduled-check dedup through the outbox,
the serving version from a real MLflow model registry, and the buttons other families handle.

The engine is built from settings (engine.wiring.build_engine), so the drift service is the one
`opsbot serve` runs, linked to the model service build_engine makes."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.actor import Actor
from engine.core.clock import FakeClock
from engine.drift.config import DriftConfig
from engine.lab.drift.demo import demo_model, write_demo_data
from engine.drift.serving import holders_between
from engine.models.tables import AliasChange
from engine.core.outbox_tables import OutboxItem
from tests.conftest_mlflow import mlflow_server_uri

NOW = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
ALICE = Actor("U0ALICE", "alice")


async def posts(db) -> list[OutboxItem]:
    async with db.session() as s:
        return list((await s.execute(select(OutboxItem).order_by(OutboxItem.id))).scalars().all())


def churn(tmp_path: Path, **overrides) -> DriftConfig:
    """The demo churn model's drift config over fresh demo data."""
    ref, cur = write_demo_data(tmp_path, NOW)
    spec = demo_model(ref, cur, channel="ml-models", interval="1h").model_copy(update=overrides)
    return DriftConfig(models={"churn": spec})


async def test_scheduled_checks_post_only_when_verdict_or_drivers_change(db_url, make_engine, tmp_path):
    clock = FakeClock(NOW)
    engine = await make_engine(db_url, churn(tmp_path), clock)
    svc, db = engine.drift, engine.db
    first = await svc.scheduled("churn", clock.now())
    clock.advance(3600)
    second = await svc.scheduled("churn", clock.now())
    assert first.ok and first.dataset_drift and first.posted
    assert second.fingerprint == first.fingerprint and not second.posted
    sent = await posts(db)
    assert [(p.template, p.channel, p.key) for p in sent] == [("drift/summary", "ml-models", f"drift:churn:{first.id}")]
    assert sent[0].context["drivers"][0]["name"] == first.drivers[0]

    # The data recovers (current == reference): the verdict changes, so it is posted once.
    spec = svc.spec("churn")
    calm = spec.model_copy(update={"current": spec.current.model_copy(update={"path": spec.reference.path,
                                                                               "time_column": None})})
    svc.add_model("churn", calm)
    clock.advance(3600)
    third = await svc.scheduled("churn", clock.now())
    clock.advance(3600)
    fourth = await svc.scheduled("churn", clock.now())
    assert not third.dataset_drift and third.posted and not fourth.posted
    assert len(await posts(db)) == 2

    # Bad input is posted once (naming the file), not on every run, and never raised to the scheduler.
    svc.add_model("churn", calm.model_copy(update={"current": calm.current.model_copy(
        update={"path": str(tmp_path / "missing.parquet")})}))
    clock.advance(3600)
    fifth = await svc.scheduled("churn", clock.now())
    clock.advance(3600)
    sixth = await svc.scheduled("churn", clock.now())
    assert not fifth.ok and fifth.posted and not sixth.posted
    sent = await posts(db)
    assert len(sent) == 3 and sent[-1].template == "drift/check_failed"
    assert "missing.parquet: file not found" in sent[-1].context["message"]


async def test_first_healthy_check_is_not_posted(db_url, make_engine, tmp_path):
    clock = FakeClock(NOW)
    ref, _ = write_demo_data(tmp_path, NOW)
    spec = demo_model(ref, ref, interval="1h").model_copy(update={"current": demo_model(ref, ref).current.model_copy(
        update={"time_column": None})})
    engine = await make_engine(db_url, DriftConfig(models={"same": spec}), clock)
    svc, db = engine.drift, engine.db
    row = await svc.scheduled("same", clock.now())
    assert row.ok and not row.dataset_drift and row.n_drifted == 0 and not row.posted
    assert await posts(db) == []
    assert [name for name, _, _ in svc.jobs()] == ["drift:same"] and svc.jobs()[0][1] == 3600
    assert "drift:same" in engine.scheduler.jobs  # build_engine scheduled it


async def test_command_checks_keep_history_for_sparklines(db_url, make_engine, tmp_path):
    clock = FakeClock(NOW)
    engine = await make_engine(db_url, churn(tmp_path), clock)
    svc, db = engine.drift, engine.db
    results = [await svc.check("churn", ALICE, w) for w in ("72h", "48h", "24h")]
    trend = results[-1].context["drivers"][0]["trend"]
    assert len(trend) == 3 and trend[-1] == max(trend)  # the last day drifted most
    assert [r.row.window_label for r in results] == ["last 72h", "last 48h", "last 24h"]
    assert await posts(db) == []  # a command answers its asker; nothing goes through the outbox
    table = await svc.features(results[0].row.id)
    assert "region" in [f["name"] for f in table["features"]]
    from bot.render import render
    assert "`region`" in json.dumps(render("drift/features", table))


def _three_versions(uri: str, name: str) -> None:
    """Register v1..v3 of `name` in MLflow with `champion` on v3."""
    from mlflow import MlflowClient

    client = MlflowClient(uri, registry_uri=uri)
    client.create_registered_model(name)
    for _ in range(3):
        client.create_model_version(name, source=f"s3://bucket/{name}")
    client.set_registered_model_alias(name, "champion", "3")


async def test_serving_version_and_rollback_button_from_the_model_registry(db_url, make_engine, tmp_path):
    uri = await asyncio.to_thread(mlflow_server_uri)
    name = f"churn-{uuid.uuid4().hex[:6]}"  # one MLflow server per session: a name of this test's own
    await asyncio.to_thread(_three_versions, uri, name)
    engine = await make_engine(db_url, churn(tmp_path, registry_model=name), FakeClock(NOW), mlflow=uri)
    assert engine.models is not None and engine.drift.link.models is engine.models  # wired, not handed in
    # v2 served until 6 hours ago, then v3 was promoted
    async with engine.db.session() as s:
        for frm, to, at in [(1, 2, NOW - timedelta(days=2)), (2, 3, NOW - timedelta(hours=6))]:
            s.add(AliasChange(model=name, alias="champion", from_version=frm, to_version=to, kind="promote",
                              state="done", actor_id="U0BOB", created_at=at))
    svc = engine.drift
    result = await svc.check("churn", ALICE, "24h")
    assert result.row.serving == [2, 3] and result.context["serving"] == "v2 → v3"
    offered = {b["action_id"]: b for b in result.context["buttons"]}
    assert offered["models_rollback"]["value"] == f"{name}||champion" and offered["models_rollback"]["confirm"]
    assert (await svc.check("churn", ALICE, "1h")).row.serving == [3]


def test_holders_between_windows():
    class C:
        def __init__(self, frm, to, at):
            self.from_version, self.to_version, self.created_at = frm, to, at

    changes = [C(None, 1, NOW - timedelta(days=5)), C(1, 2, NOW - timedelta(days=1))]
    assert holders_between(changes, 2, NOW - timedelta(days=2), NOW) == [1, 2]
    assert holders_between(changes, 2, NOW - timedelta(hours=2), NOW) == [2]
    assert holders_between(changes, 2, None, None) == [2]
    assert holders_between([], 4, NOW - timedelta(days=1), NOW) == [4]
    assert holders_between([C(4, 5, NOW - timedelta(hours=1))], 5, NOW - timedelta(days=1), NOW) == [4, 5]
    # v1 -> v5 -> v1 -> v5 served v1 again in between: the line says so instead of "v1 -> v5"
    back = [C(1, 5, NOW - timedelta(hours=3)), C(5, 1, NOW - timedelta(hours=2)), C(1, 5, NOW - timedelta(hours=1))]
    assert holders_between(back, 5, NOW - timedelta(days=1), NOW) == [1, 5, 1, 5]


def test_the_serving_line_keeps_the_order_and_shortens_many_moves():
    from engine.drift.messages import serving_text

    assert serving_text([1, 5, 1]) == "v1 → v5 → v1"
    assert serving_text([1, 2, 5, 2, 5, 1, 5]) == "v1 → … → v5 (6 moves)"
    assert serving_text([]) is None


def test_runbook_button_uses_the_runbooks_modal_action():
    from bot.listeners.runbooks import OPEN_MODAL
    from engine.drift import messages
    from engine.models.messages import ROLLBACK

    assert messages.RUN_RUNBOOK == OPEN_MODAL and messages.ROLLBACK == ROLLBACK


@pytest.mark.parametrize("bad, message", [
    ({"reference": {"path": "a.csv", "mlflow_artifact": "ref.csv"}, "current": "b.csv"}, "exactly one of"),
    ({"reference": "a.csv", "current": {"sql": "select 1"}}, "needs `url`"),
    ({"reference": "a.csv", "current": {"path": "b.csv", "window": "soon"}}, "positive number and a unit"),
    ({"reference": "a.csv", "current": "b.csv", "interval": "1s"}, "at least 10s"),
    ({"reference": "a.csv", "current": "b.csv", "method": "t-test"}, "method"),
    ({"reference": "a.csv", "current": "b.csv", "colour": "red"}, "colour"),
])
def test_config_errors_name_the_key(bad, message):
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as info:
        DriftConfig.model_validate({"models": {"churn": bad}})
    assert message in str(info.value)


def test_wide_reports_fit_slack_limits():
    import numpy as np
    import pandas as pd

    from bot.render import render
    from bot.workspace.blocks import validate_blocks
    from engine.drift import TableSource, compare
    from engine.drift.messages import features_context, summary_context

    rng = np.random.default_rng(3)
    ref = pd.DataFrame({f"feature_with_a_rather_long_name_{i:03d}": rng.normal(0, 1, 300) for i in range(500)})
    cur = ref + rng.normal(0.5, 1, ref.shape)
    report = compare(TableSource(ref, "ref"), TableSource(cur, "cur"))
    for template, context in [
        ("drift/features", features_context("wide", 1, report).as_context()),
        ("drift/summary", summary_context(model="wide", check_id=1, report=report, window="all current rows",
                                          top=10, trends={}, serving=None, alias="champion", trigger="command",
                                          checked_at="2026-03-01T12:00+00:00").as_context()),
    ]:
        message = render(template, context)
        assert not validate_blocks(message["blocks"]) and len(message["blocks"]) <= 50
    assert "more features" in json.dumps(render("drift/features", features_context("wide", 1, report).as_context()))
